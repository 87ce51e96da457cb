import { platformEventSchema } from '@cellport/plugin-platform-common';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { DAY_MS, HOUR_MS } from '../rollups/timeRanges';
import { demoRequestsFor } from './DemoBackfill';

describe('demoRequestsFor', () => {
  it('generates valid, deterministic events with failures and fallbacks', async () => {
    const entities = await testPlatformCatalog().entities();
    const start = Date.UTC(2026, 10, 20);
    const events = [];
    for (let hour = start; hour < start + DAY_MS; hour += HOUR_MS) {
      for (const agent of entities.agents) {
        events.push(...demoRequestsFor(agent, entities, hour));
      }
    }
    expect(events.length).toBeGreaterThan(200);
    for (const event of events) {
      expect(platformEventSchema.safeParse(event).success).toBe(true);
    }
    const again = demoRequestsFor(
      entities.agents[0],
      entities,
      start + 12 * HOUR_MS,
    );
    expect(again).toEqual(
      demoRequestsFor(entities.agents[0], entities, start + 12 * HOUR_MS),
    );
    const decisions = events.filter(e => e.type === 'routing-decision');
    expect(
      decisions.some(
        d => d.type === 'routing-decision' && d.fallbacks.length > 0,
      ),
    ).toBe(true);
    expect(events.some(e => e.outcome === 'error')).toBe(true);
    expect(new Set(events.map(e => e.id)).size).toBe(events.length);
  });
});
