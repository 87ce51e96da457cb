import { OpenReservations } from './OpenReservations';

describe('OpenReservations', () => {
  it('holds what reservations in flight reserved of each budget, each counted once however often it is released', () => {
    const open = new OpenReservations();
    open.hold('r1', ['tenant-budget', 'agent-budget'], 300);
    open.hold('r2', ['tenant-budget'], 200);
    expect(open.heldNano('tenant-budget')).toBe(500);
    open.release('r1');
    // Settled twice (a release after a settle): counted once.
    open.release('r1');
    expect(open.heldNano('tenant-budget')).toBe(200);
    expect(open.heldNano('agent-budget')).toBe(0);
    // Never held here (another replica's): changes nothing.
    open.release('r3');
    open.release('r2');
    expect(open.heldNano('tenant-budget')).toBe(0);
  });
});
