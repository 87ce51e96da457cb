import { NANO } from './Limiter';
import { SpentHints } from './SpentHints';

describe('SpentHints', () => {
  it('tracks spend per tenant and month, and forgets it in a new month', () => {
    const hints = new SpentHints();
    const november = Date.parse('2026-11-30T23:59:00Z');
    hints.set('t', '2026-11', 2 * NANO);
    hints.add('t', '2026-11', NANO / 2);
    expect(hints.spentUsd('t', november)).toBe(2.5);
    expect(
      hints.spentUsd('t', Date.parse('2026-12-01T00:00:00Z')),
    ).toBeUndefined();
    expect(hints.spentUsd('other', november)).toBeUndefined();
  });
});
