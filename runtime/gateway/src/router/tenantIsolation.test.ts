/**
 * A tenant's key, or its agent's, never reaches another tenant's private profile, nor learns of
 * it: not by the profile's id or alias, not through `auto`, not through an agent whose lists
 * name it (a reference the state takes and filters out), on no inference API, not when every
 * route of its own is down and the refusal lists what was tried, and not in /v1/models. A
 * gateway in process against the simulator; the answers, the RoutingDecisions and the
 * UsageEvents are all searched (`stateAcrossPushes.test.ts` holds the same across renames).
 */
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const BRIGHTPATH_AGENT_KEY = 'cp-test-brightpath-agent-0001';
/** Northwind's own profiles, and the alias only one of them has. */
const NORTHWIND_ONLY = ['eu-large', 'eu-small', 'eu-embed'];
const NORTHWIND_ONLY_ALIAS = 'text-embedding-3-small';

describe("another tenant's private profiles", () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;

  beforeAll(async () => {
    simulator = await startSimulator();
    const state = testState(simulator.url);
    state.agents.push({
      id: 'bp-agent',
      tenant: 'brightpath',
      policy: 'cost',
      preferredModels: ['eu-small', 'eu-embed', 'us-small'],
      fallbackChain: ['eu-large', 'eu-small', 'claude'],
      maxFallbacks: 3,
      requiredCapabilities: [],
    });
    state.apiKeys.push({
      sha256: hashApiKey(BRIGHTPATH_AGENT_KEY),
      prefix: 'cp-test-bpag',
      tenant: 'brightpath',
      agent: 'bp-agent',
    });
    ({ gateway, url, events } = await startGateway(simulator.url, { state }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it('are never reached by name, alias, auto, agent lists or fallbacks, on any endpoint, nor named in refusals', async () => {
    // Every route Brightpath has is down: only a leak could answer 200.
    for (const model of ['us-large-model', 'us-small-model', 'claude-model']) {
      simulator.faults.add({
        mode: 'outage',
        model,
        extraLatencyMs: 0,
        retryAfterSeconds: 1,
      });
    }
    try {
      const seen: Array<{ what: string; status: number; text: string }> = [];
      for (const [who, key] of [
        ['tenant', KEYS.brightpath],
        ['agent', BRIGHTPATH_AGENT_KEY],
      ]) {
        for (const model of [
          ...NORTHWIND_ONLY,
          'gpt-4o',
          'gpt-4o-mini',
          NORTHWIND_ONLY_ALIAS,
          'auto',
        ]) {
          const requests: Array<[string, Record<string, unknown>]> = [
            [
              '/v1/chat/completions',
              {
                model,
                max_tokens: 4,
                messages: [{ role: 'user', content: 'isolation' }],
              },
            ],
            [
              '/v1/responses',
              { model, input: 'isolation', max_output_tokens: 16 },
            ],
            [
              '/v1/messages',
              {
                model,
                max_tokens: 4,
                messages: [{ role: 'user', content: 'isolation' }],
              },
            ],
            ['/v1/embeddings', { model, input: 'isolation' }],
          ];
          for (const [path, body] of requests) {
            const response = await postChat(url, body, { key, path });
            seen.push({
              what: `${who} ${path} ${model}`,
              status: response.status,
              text: await response.text(),
            });
          }
        }
      }
      const naming = seen.filter(({ text }) =>
        NORTHWIND_ONLY.some(
          p => text.includes(`"${p}"`) || text.includes(`${p}:`),
        ),
      );
      expect(
        naming.map(({ what, text }) => `${what}: ${text.slice(0, 200)}`),
      ).toEqual([]);
      // Refused or failed upstream, never served, never a fault of the gateway's own.
      const answered = seen.filter(
        ({ status }) =>
          status === 200 || (status >= 500 && status !== 502 && status !== 503),
      );
      expect(answered.map(({ what, status }) => `${what}: ${status}`)).toEqual(
        [],
      );
      await eventually(() => events.usage().length >= seen.length);
      const reached = events.events.flatMap(event => {
        if (event.type === 'routing-decision') {
          const decision = event as RoutingDecision;
          return [
            decision.chosen,
            ...decision.candidates.map(c => c.modelProfile),
          ];
        }
        return event.type === 'usage'
          ? [(event as UsageEvent).modelProfile]
          : [];
      });
      expect(reached.filter(p => NORTHWIND_ONLY.includes(p ?? ''))).toEqual([]);
    } finally {
      simulator.faults.clear();
    }
  });

  it('are not listed in /v1/models, to the tenant or its agent', async () => {
    for (const key of [KEYS.brightpath, BRIGHTPATH_AGENT_KEY]) {
      const models = await (
        await fetch(`${url}/v1/models`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).json();
      const ids: string[] = models.data.map((m: { id: string }) => m.id);
      expect(
        ids.filter(
          id => NORTHWIND_ONLY.includes(id) || id === NORTHWIND_ONLY_ALIAS,
        ),
      ).toEqual([]);
    }
  });
});
