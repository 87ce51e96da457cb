import { sloState, worstSloState } from './sloState';

describe('sloState', () => {
  it('says "no data" without events, whatever the alerts say', () => {
    expect(sloState({ totalEvents: 0, alertState: 'ok' })).toBe('no data');
    expect(
      sloState({ totalEvents: 0, remainingFraction: 1, alertState: 'page' }),
    ).toBe('no data');
  });

  it('never says "ok" for a spent budget, even when no alert fires', () => {
    expect(
      sloState({ totalEvents: 10, remainingFraction: 0, alertState: 'ok' }),
    ).toBe('exhausted');
    expect(
      sloState({
        totalEvents: 10,
        remainingFraction: -1.5,
        alertState: 'page',
      }),
    ).toBe('exhausted');
  });

  it('says "burning" while an alert fires with budget left, and "ok" otherwise', () => {
    const left = { totalEvents: 10, remainingFraction: 0.4 };
    expect(sloState({ ...left, alertState: 'ticket' })).toBe('burning');
    expect(sloState({ ...left, alertState: 'page' })).toBe('burning');
    expect(sloState({ ...left, alertState: 'ok' })).toBe('ok');
  });

  it("gives a cell its worst objective's state", () => {
    expect(worstSloState(['ok', 'no data'])).toBe('ok');
    expect(worstSloState(['burning', 'exhausted', 'ok'])).toBe('exhausted');
    expect(worstSloState(['no data'])).toBe('no data');
    expect(worstSloState([])).toBeUndefined();
  });
});
