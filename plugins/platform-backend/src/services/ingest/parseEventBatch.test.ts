import {
  makeDecision,
  makeUsage,
} from '@cellport/plugin-platform-node-test-utils';
import { parseEventBatch } from './parseEventBatch';

const DAY_MS = 24 * 3_600_000;

describe('parseEventBatch', () => {
  const refusal = (event: object) => {
    try {
      parseEventBatch({ events: [makeUsage(), event] });
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };

  it.each([
    [
      'more tokens than a request can have',
      { inputTokens: 3_000_000_000 },
      'events[1].inputTokens: must be at most 2147483647',
    ],
    [
      'a cost no request has',
      { costUsd: 1e308 },
      'events[1].costUsd: must be at most 1e12',
    ],
    [
      'a timestamp far in the future',
      { timestamp: '9999-12-31T23:59:59.999Z' },
      'events[1].timestamp: must be after 2000-01-01 and at most a day ahead of now',
    ],
    [
      'a timestamp before 2000',
      { timestamp: '1969-12-31T23:59:59.000Z' },
      'events[1].timestamp: must be after 2000-01-01',
    ],
    [
      'a cost that is text',
      { costUsd: '1' },
      'events[1].costUsd: Invalid input: expected number, received string',
    ],
    [
      'a fractional token count',
      { outputTokens: 1.5 },
      'events[1].outputTokens: Invalid input: expected int, received number',
    ],
  ])(
    'refuses %s, naming the field and what is wrong',
    (_what, change, message) => {
      expect(refusal({ ...makeUsage(), ...change })).toContain(message);
    },
  );

  it('takes the largest values the contract allows, and a replica clock a little ahead', () => {
    const events = parseEventBatch({
      events: [
        makeUsage({
          inputTokens: 2_147_483_647,
          costUsd: 1e12,
          timestamp: new Date(Date.now() + DAY_MS / 2).toISOString(),
        }),
        makeDecision({ timestamp: '2000-01-01T00:00:00.000Z' }),
      ],
    });
    expect(events).toHaveLength(2);
  });
});
