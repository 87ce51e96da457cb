import { RefundQueue } from './RefundQueue';

describe('RefundQueue', () => {
  const refund = (reservation: string, key: string, delta: number) => ({
    reservation,
    keys: [key],
    deltas: [delta],
    actuals: [100 + delta],
  });

  it('keeps each reservation apart and hands each tenant only its own, once', () => {
    const queue = new RefundQueue();
    queue.add('acme', refund('r1', 'cellport:{acme}:tpm:1', -300));
    queue.add('acme', refund('r2', 'cellport:{acme}:tpm:1', -200));
    queue.add('globex', refund('r3', 'cellport:{globex}:tpm:1', -7));
    expect(queue.tenants).toBe(2);
    expect(queue.size).toBe(3);

    expect(queue.take('acme').map(r => r.reservation)).toEqual(['r1', 'r2']);
    expect(queue.take('acme')).toEqual([]);
    expect(queue.size).toBe(1);
    expect(queue.takeAll()).toEqual([
      {
        tenant: 'globex',
        refunds: [refund('r3', 'cellport:{globex}:tpm:1', -7)],
      },
    ]);
    expect(queue.tenants).toBe(0);
    expect(queue.size).toBe(0);
  });
});
