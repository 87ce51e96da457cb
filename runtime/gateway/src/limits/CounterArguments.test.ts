import { claimArguments, settleArguments } from './CounterArguments';
import type { CounterClaim } from './WindowedLimiter';

const claim = (
  key: string,
  amount: number,
  limit = 100,
  firstFits = false,
): CounterClaim => ({ key, amount, limit, ttlMs: 61_000, firstFits });

describe('claimArguments', () => {
  it('names each counter once, however many requests and refunds of the command touch it', () => {
    const request = (tokens: number) => [
      claim('rpm', 1),
      claim('tpm', tokens, 1000, true),
      claim('budget', 7, 10 ** 12),
    ];
    expect(
      claimArguments(
        [request(300), request(40)],
        ['res:a', 'res:b'],
        [
          {
            reservation: 'res:0',
            keys: ['tpm', 'old-tpm'],
            deltas: [-5, -9],
            actuals: [1, 2],
          },
        ],
        5000,
      ),
    ).toEqual([
      // KEYS: the counters, those claimed first; the requests' reservations; the refund's.
      7,
      'rpm',
      'tpm',
      'budget',
      'old-tpm',
      'res:a',
      'res:b',
      'res:0',
      // ARGV: counters, claimed counters, requests, refunds, how long a reservation stays open.
      4,
      3,
      2,
      1,
      5000,
      // Each claimed counter's limit, TTL and whether a window's first claim always fits.
      100,
      61_000,
      0,
      1000,
      61_000,
      1,
      10 ** 12,
      61_000,
      0,
      // Each request's counter indexes and amounts, then the refund's index, delta, actual.
      '1 1 2 300 3 7 ',
      '1 1 2 40 3 7 ',
      '2 -5 1 4 -9 2 ',
    ]);
  });

  it('gives a counter claimed under other rules than its last claim a place of its own, each request checked by its own', () => {
    const args = claimArguments(
      [[claim('rpm', 1, 10)], [claim('rpm', 1, 1)], [claim('rpm', 1, 10)]],
      ['res:a', 'res:b', 'res:c'],
      [],
      5000,
    );
    expect(args.slice(0, 7)).toEqual([
      6,
      'rpm',
      'rpm',
      'rpm',
      'res:a',
      'res:b',
      'res:c',
    ]);
    expect(args.slice(7, 12)).toEqual([3, 3, 3, 0, 5000]);
    expect(args.slice(12)).toEqual([
      10,
      61_000,
      0,
      1,
      61_000,
      0,
      10,
      61_000,
      0,
      '1 1 ',
      '2 1 ',
      '3 1 ',
    ]);
  });
});

describe('settleArguments', () => {
  it('lays refunds out as the settling script reads them, each counter once', () => {
    expect(
      settleArguments([
        {
          reservation: 'res:1',
          keys: ['tpm', 'budget'],
          deltas: [-5, 0],
          actuals: [1, 2],
        },
        { reservation: 'res:2', keys: ['tpm'], deltas: [-3], actuals: [97] },
      ]),
    ).toEqual({
      keys: ['tpm', 'budget', 'res:1', 'res:2'],
      args: [2, 2, '1 -5 1 2 0 2 ', '1 -3 97 '],
    });
  });
});
