import { Charge, HeldCharges } from './HeldCharges';

/** A counter store whose answers the test decides, one send at a time. */
class Counters {
  readonly sent: Array<{ tenant: string; id: string }> = [];
  failing = new Set<string>();
  private gate?: Promise<void>;
  private open?: () => void;

  readonly send = async (tenant: string, charge: Charge): Promise<void> => {
    this.sent.push({ tenant, id: charge.id });
    await this.gate;
    if (this.failing.has(tenant)) throw new Error(`${tenant}: unreachable`);
  };

  hold(): void {
    this.gate = new Promise(resolve => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }
}

const charge = () =>
  HeldCharges.charge({
    reservation: 'r',
    keys: ['k'],
    deltas: [5],
    actuals: [5],
  });

describe('HeldCharges', () => {
  it('holds a charge that failed and sends it again under the same id', async () => {
    const counters = new Counters();
    const charges = new HeldCharges(counters.send, 60_000, () => {});
    counters.failing.add('a');
    await expect(charges.apply('a', charge())).rejects.toThrow('unreachable');
    expect(charges.empty).toBe(false);
    counters.failing.clear();
    await charges.land('a');
    expect(charges.empty).toBe(true);
    expect(counters.sent).toHaveLength(2);
    expect(counters.sent[1].id).toBe(counters.sent[0].id);
    await charges.close();
  });

  it('drops a charge held longer than the store remembers its id, and says so, rather than risk counting it twice', async () => {
    const counters = new Counters();
    let now = 0;
    const errors: string[] = [];
    const charges = new HeldCharges(
      counters.send,
      60_000,
      error => errors.push(error.message),
      540_000,
      () => now,
    );
    counters.failing.add('a');
    await expect(charges.apply('a', charge())).rejects.toThrow('unreachable');
    now = 540_001;
    counters.failing.clear();
    await charges.land('a');
    expect(counters.sent).toHaveLength(1);
    expect(charges.empty).toBe(true);
    expect(errors).toEqual([
      expect.stringContaining('could not reach Redis within 540 s'),
    ]);
    await charges.close();
  });

  it('lets a claim wait for a charge already on its way, not just for the held ones', async () => {
    const counters = new Counters();
    const charges = new HeldCharges(counters.send, 60_000, () => {});
    counters.failing.add('a');
    await charges.apply('a', charge()).catch(() => undefined);
    counters.failing.clear();
    counters.hold();
    // A retry takes the held charge and is on its way when the claim asks.
    const retry = charges.landAll();
    let landed = false;
    const claim = charges.land('a').then(() => {
      landed = true;
    });
    await new Promise(resolve => setImmediate(resolve));
    expect(landed).toBe(false);
    counters.release();
    await Promise.all([retry, claim]);
    expect(landed).toBe(true);
    await charges.close();
  });

  it('refuses only the tenant whose charges cannot land', async () => {
    const counters = new Counters();
    const charges = new HeldCharges(counters.send, 60_000, () => {});
    counters.failing.add('a');
    counters.failing.add('b');
    await charges.apply('a', charge()).catch(() => undefined);
    await charges.apply('b', charge()).catch(() => undefined);
    counters.failing.delete('b');
    await expect(charges.land('a')).rejects.toThrow('a: unreachable');
    await expect(charges.land('b')).resolves.toBeUndefined();
    expect(await charges.close()).toBe(1);
  });
});
