import {
  AgentEntity,
  entityRefName,
  platformEventSchema,
} from '@cellport/plugin-platform-common';
import { cellRoutingState } from '@cellport/plugin-platform-node';
import { testPlatformEntities } from './__testUtils__/testPlatformEntities';
import { demoRequestsFor, peakRequestsPerHour } from './demoRequests';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const entities = testPlatformEntities();

/** An hour of the agent's demo traffic under its cell's routing state. */
const requestsOf = (
  agent: AgentEntity,
  hour: number,
  outage = false,
  availabilityTarget?: number,
) =>
  demoRequestsFor(
    agent,
    cellRoutingState(entityRefName(agent.spec.cell), entities).state,
    hour,
    { outage, availabilityTarget },
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

  it("sizes an agent's traffic for its strictest availability objective: one bad request never exhausts a 99.99% budget", () => {
    const start = Date.UTC(2026, 10, 20);
    const perDay = (availabilityTarget?: number) => {
      let usage = 0;
      for (let hour = start; hour < start + 2 * DAY_MS; hour += HOUR_MS) {
        usage += requestsOf(
          entities.agents[0],
          hour,
          false,
          availabilityTarget,
        ).filter(e => e.type === 'usage').length;
      }
      return usage / 2;
    };
    // A 30-day window of this traffic leaves a 99.99% objective a budget of 10 requests or
    // more (about 3,300 requests a day), where the old fixed rate left it a quarter of one.
    const strict = perDay(0.9999);
    expect(strict * 30 * (1 - 0.9999)).toBeGreaterThanOrEqual(10);
    expect(strict * 30 * (1 - 0.9999)).toBeLessThan(15);
    // Looser objectives keep the smaller floor.
    expect(perDay(0.99)).toBeLessThan(400);
    expect(perDay()).toBe(perDay(0.99));
    expect(peakRequestsPerHour(0.9999)).toBeGreaterThan(
      peakRequestsPerHour(0.9995),
    );
    // A stricter target cannot make the backfill unbounded.
    expect(peakRequestsPerHour(0.99999)).toBe(400);
    expect(peakRequestsPerHour(0.9999999)).toBe(400);
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
