import { RefundQueue } from './RefundQueue';

describe('RefundQueue', () => {
  it('merges refunds per counter and hands each tenant only its own, once', () => {
    const queue = new RefundQueue();
    queue.add(
      'acme',
      ['cellport:{acme}:tpm:1', 'cellport:{acme}:budget:m'],
      [-300, -50],
    );
    queue.add('acme', ['cellport:{acme}:tpm:1'], [-200]);
    queue.add('globex', ['cellport:{globex}:tpm:1'], [-7]);
    expect(queue.tenants).toBe(2);

    expect(queue.take('acme')).toEqual({
      keys: ['cellport:{acme}:tpm:1', 'cellport:{acme}:budget:m'],
      deltas: [-500, -50],
    });
    expect(queue.take('acme')).toEqual({ keys: [], deltas: [] });
    expect(queue.takeAll()).toEqual([
      { tenant: 'globex', keys: ['cellport:{globex}:tpm:1'], deltas: [-7] },
    ]);
    expect(queue.tenants).toBe(0);
  });
});
