import { OpenReservations } from './OpenReservations';

describe('OpenReservations', () => {
  it('holds a budget while any of its reservations is open, each counted once however often it is closed', () => {
    const open = new OpenReservations();
    open.open('r1', ['tenant-budget', 'agent-budget']);
    open.open('r2', ['tenant-budget']);
    open.close('r1', ['tenant-budget', 'agent-budget']);
    // Settled twice (a retry, a release after a settle): counted once.
    open.close('r1', ['tenant-budget', 'agent-budget']);
    expect(open.holds('tenant-budget')).toBe(true);
    expect(open.holds('agent-budget')).toBe(false);
    open.close('r2', ['tenant-budget']);
    expect(open.holds('tenant-budget')).toBe(false);
    // Never opened here (another replica's): changes nothing.
    open.close('r3', ['tenant-budget']);
    open.open('r4', ['tenant-budget']);
    expect(open.holds('tenant-budget')).toBe(true);
  });
});
