import { NANO } from './Limiter';
import { SpentHints } from './SpentHints';

describe('SpentHints', () => {
  it('tracks spend per tenant and month, and forgets it in a new month', () => {
    const hints = new SpentHints();
    const november = Date.parse('2026-11-30T23:59:00Z');
    hints.set('t', '2026-11', 2 * NANO, november - 1_000);
    hints.add('t', '2026-11', NANO / 2);
    expect(hints.spentUsd('t', november)).toBe(2.5);
    expect(
      hints.spentUsd('t', Date.parse('2026-12-01T00:00:00Z')),
    ).toBeUndefined();
    expect(hints.spentUsd('other', november)).toBeUndefined();
    // Its age counts from the read at the counters, not from later local adjustments.
    expect(hints.ageMs('t', november)).toBe(1_000);
    expect(
      hints.ageMs('t', Date.parse('2026-12-01T00:00:00Z')),
    ).toBeUndefined();
  });
});
