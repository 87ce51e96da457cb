import { NANO } from './Limiter';
import { SpentHints } from './SpentHints';

describe('SpentHints', () => {
  it('tracks spend per tenant and month, and forgets it in a new month', () => {
    const hints = new SpentHints();
    const november = Date.parse('2026-11-30T23:59:00Z');
    hints.set('t', '2026-11', 2 * NANO, november - 1_000, hints.mark('t'));
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

  it('is not fresh when the clock stepped back, or when a refund came while the counters were read', () => {
    const hints = new SpentHints();
    const at = Date.parse('2026-11-20T10:00:00Z');
    hints.set('t', '2026-11', NANO, at, hints.mark('t'));
    expect(hints.ageMs('t', at + 200)).toBe(200);
    expect(hints.ageMs('t', at - 3_600_000)).toBe(Infinity);

    const mark = hints.mark('t');
    // A request of this replica is refunded while a claim's read is on its way...
    hints.add('t', '2026-11', -NANO / 2);
    // ...so the spend that read shows may still hold it: kept, but not fresh.
    hints.set('t', '2026-11', NANO, at, mark);
    expect(hints.spentUsd('t', at)).toBe(1);
    expect(hints.ageMs('t', at)).toBe(Infinity);
    // A charge (an overspend) adds spend: what was read is still a floor, and fresh.
    const next = hints.mark('t');
    hints.add('t', '2026-11', NANO);
    hints.set('t', '2026-11', NANO, at, next);
    expect(hints.ageMs('t', at)).toBe(0);
  });
});
