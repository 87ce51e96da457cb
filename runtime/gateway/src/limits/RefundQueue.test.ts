import { refundArguments, RefundQueue } from './RefundQueue';

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

    expect(queue.take('acme').map(r => r.reservation)).toEqual(['r1', 'r2']);
    expect(queue.take('acme')).toEqual([]);
    expect(queue.takeAll()).toEqual([
      {
        tenant: 'globex',
        refunds: [refund('r3', 'cellport:{globex}:tpm:1', -7)],
      },
    ]);
    expect(queue.tenants).toBe(0);
  });

  it('lays refunds out as the settling script reads them', () => {
    expect(
      refundArguments([
        {
          reservation: 'res:1',
          keys: ['tpm', 'budget'],
          deltas: [-5, -9],
          actuals: [1, 2],
        },
        refund('res:2', 'tpm', -3),
      ]),
    ).toEqual({
      keys: ['res:1', 'tpm', 'budget', 'res:2', 'tpm'],
      args: [2, 2, -5, -9, 1, 2, 1, -3, 97],
    });
  });
});
