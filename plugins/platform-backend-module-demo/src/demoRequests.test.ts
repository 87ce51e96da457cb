import {
  AgentEntity,
  entityRefName,
  platformEventSchema,
} from '@cellport/plugin-platform-common';
import { cellRoutingState } from '@cellport/plugin-platform-node';
import { testPlatformEntities } from './__testUtils__/testPlatformEntities';
import { demoRequestsFor } from './demoRequests';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const entities = testPlatformEntities();

/** An hour of the agent's demo traffic under its cell's routing state. */
const requestsOf = (agent: AgentEntity, hour: number, outage = false) =>
  demoRequestsFor(
    agent,
    cellRoutingState(entityRefName(agent.spec.cell), entities).state,
    hour,
    outage,
  );

describe('demoRequestsFor', () => {
  it('generates valid, deterministic events with failures and fallbacks', () => {
    const start = Date.UTC(2026, 10, 20);
    const events = [];
    for (let hour = start; hour < start + DAY_MS; hour += HOUR_MS) {
      for (const agent of entities.agents) {
        events.push(...requestsOf(agent, hour));
      }
    }
    expect(events.length).toBeGreaterThan(200);
    for (const event of events) {
      expect(platformEventSchema.safeParse(event).success).toBe(true);
    }
    const again = requestsOf(entities.agents[0], start + 12 * HOUR_MS);
    expect(again).toEqual(requestsOf(entities.agents[0], start + 12 * HOUR_MS));
    const decisions = events.filter(e => e.type === 'routing-decision');
    expect(
      decisions.some(
        d => d.type === 'routing-decision' && d.fallbacks.length > 0,
      ),
    ).toBe(true);
    expect(new Set(events.map(e => e.id)).size).toBe(events.length);
  });

  it('fails rarely enough that SLOs keep some error budget, but not never', () => {
    const start = Date.UTC(2026, 9, 1);
    const usage = [];
    for (let hour = start; hour < start + 60 * DAY_MS; hour += HOUR_MS) {
      for (const agent of entities.agents) {
        usage.push(...requestsOf(agent, hour).filter(e => e.type === 'usage'));
      }
    }
    const failed = usage.filter(e => e.outcome === 'error').length;
    expect(failed).toBeGreaterThan(0);
    // Inside a 99.95% objective's budget (0.05%) with room to spare.
    expect(failed / usage.length).toBeLessThan(0.0005 / 2);
    // Most requests meet the reference latency objectives (95% under the threshold).
    const slowOverhead = usage.filter(
      e => e.type === 'usage' && e.gatewayOverheadMs > 200,
    ).length;
    expect(slowOverhead / usage.length).toBeLessThan(0.05);
  });

  it('fails a quarter of requests in the hours of an outage injected on purpose', () => {
    const start = Date.UTC(2026, 10, 20, 12);
    const usage = entities.agents.flatMap(agent =>
      [0, 1, 2].flatMap(h =>
        requestsOf(agent, start + h * HOUR_MS, true).filter(
          e => e.type === 'usage',
        ),
      ),
    );
    const failed = usage.filter(e => e.outcome === 'error').length;
    expect(failed / usage.length).toBeGreaterThan(0.15);
    expect(failed / usage.length).toBeLessThan(0.35);
  });
});
