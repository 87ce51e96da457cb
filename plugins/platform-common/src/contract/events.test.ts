import {
  eventBatchSchema,
  eventsSubject,
  EVENTS_SCHEMA_VERSION,
} from './events';
import { toValidationIssues } from '../kinds/registry';

const scope = {
  schemaVersion: EVENTS_SCHEMA_VERSION,
  requestId: 'req_01HZX3K9',
  timestamp: '2026-11-23T06:00:00.000Z',
  gateway: 'gw-eu-west-shared-1-a',
  cell: 'eu-west-shared-1',
  tenant: 'northwind-retail',
  agent: 'checkout-assistant',
  stateVersion: 'v42',
};

const decision = {
  ...scope,
  id: 'dec_01HZX3K9',
  type: 'routing-decision',
  requestedModel: 'gpt-4o-mini',
  policy: 'balanced',
  complexityScore: 0.3,
  requiredCapabilities: ['tools'],
  estimatedInputTokens: 812,
  candidates: [
    { modelProfile: 'azure-gpt-4o-mini-eu', kept: true, rank: 0, score: 0.82 },
    {
      modelProfile: 'gpt-4o-mini',
      kept: false,
      dropReason: 'residency',
      detail: 'region us outside pinned eu-west-1, swedencentral',
    },
  ],
  chosen: 'azure-gpt-4o-mini-eu',
  fallbacks: [],
  routerDecisionMs: 0.04,
  outcome: 'success',
};

const usage = {
  ...scope,
  id: 'use_01HZX3K9',
  type: 'usage',
  modelProfile: 'azure-gpt-4o-mini-eu',
  provider: 'azure-openai',
  stream: true,
  inputTokens: 812,
  outputTokens: 164,
  tokensEstimated: false,
  costUsd: 0.0002202,
  cached: false,
  gatewayOverheadMs: 0.9,
  upstreamLatencyMs: 640,
  timeToFirstTokenMs: 210,
  totalLatencyMs: 641,
  status: 200,
  outcome: 'success',
};

describe('event batch contract', () => {
  it('accepts a routing decision and a usage event', () => {
    expect(
      eventBatchSchema.safeParse({ events: [decision, usage] }).success,
    ).toBe(true);
  });

  it('names the index and field of a bad event', () => {
    const result = eventBatchSchema.safeParse({
      events: [decision, { ...usage, inputTokens: -3 }],
    });
    expect(result.success).toBe(false);
    expect(result.success ? [] : toValidationIssues(result.error)).toEqual([
      {
        path: 'events[1].inputTokens',
        message: 'Too small: expected number to be >=0',
      },
    ]);
  });

  it('rejects a schema version it does not know', () => {
    const result = eventBatchSchema.safeParse({
      events: [{ ...usage, schemaVersion: 2 }],
    });
    expect(result.success ? [] : toValidationIssues(result.error)).toEqual([
      { path: 'events[0].schemaVersion', message: 'expected one of 1' },
    ]);
  });

  it('rejects a drop reason the portal cannot show', () => {
    const result = eventBatchSchema.safeParse({
      events: [
        {
          ...decision,
          candidates: [{ modelProfile: 'x', kept: false, dropReason: 'vibes' }],
        },
      ],
    });
    expect(result.success ? '' : toValidationIssues(result.error)[0].path).toBe(
      'events[0].candidates[0].dropReason',
    );
  });
});

describe('eventsSubject', () => {
  it('gives every cell a subject of its own, one token after the prefix', () => {
    const cells = [
      'eu-west',
      'eu.west',
      'eu_west',
      'eu%002ewest',
      'eu west',
      'a>b',
    ];
    const subjects = cells.map(eventsSubject);
    expect(new Set(subjects).size).toBe(cells.length);
    for (const subject of subjects) {
      expect(subject).toMatch(/^cellport\.events\.[^.*>\s]+$/);
    }
    expect(eventsSubject('eu-west-shared-1')).toBe(
      'cellport.events.eu-west-shared-1',
    );
  });
});
