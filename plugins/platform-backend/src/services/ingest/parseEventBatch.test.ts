import { PlatformEvent } from '@cellport/plugin-platform-common';
import {
  makeDecision,
  makeUsage,
} from '@cellport/plugin-platform-node-test-utils';
import { parseEventBatch } from './parseEventBatch';

describe('parseEventBatch', () => {
  /** What is wrong with `event` beside a valid one, which is kept either way. */
  const refusal = (event: object) => {
    const { events, rejections } = parseEventBatch({
      events: [makeUsage(), event],
    });
    expect(events.length + rejections.length).toBe(2);
    return rejections[0]?.message ?? 'accepted';
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
      'events[1].timestamp: must be in the years 2000 to 2099',
    ],
    [
      'a timestamp before 2000',
      { timestamp: '1969-12-31T23:59:59.000Z' },
      'events[1].timestamp: must be in the years 2000 to 2099',
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
    [
      'a NUL character, which PostgreSQL cannot store',
      { stateVersion: 'v1\u0000x' },
      'events[1].stateVersion: must not hold a NUL character or an unpaired surrogate',
    ],
    [
      'an unpaired surrogate, which no JSON column holds',
      { provider: 'openai-\udfff' },
      'events[1].provider: must not hold a NUL character or an unpaired surrogate',
    ],
    [
      'a name no catalog entity has, whose bytes would overflow PostgreSQL index rows',
      { tenant: 'テ'.repeat(255) },
      'events[1].tenant: must be at most 63 characters',
    ],
    [
      'a name in another script',
      { agent: 'zürich-bot' },
      'events[1].agent: must be a catalog entity name',
    ],
  ])(
    'refuses %s, naming the field and what is wrong',
    (_what, change, message) => {
      expect(refusal({ ...makeUsage(), ...change })).toContain(message);
    },
  );

  it('refuses more completions than a request can ask for, and keeps text in any script', () => {
    const features = {
      featuresVersion: 1,
      modelType: 'chat',
      requestedModel: 'auto',
      classification: 'INTERNAL',
      requiredCapabilities: [],
      estimatedInputTokens: 10,
      promptTokenBound: 20,
      choices: 3_000_000_000,
      complexity: 0.5,
    };
    expect(refusal(makeDecision({ features } as object))).toContain(
      'events[1].features.choices: must be at most 128',
    );
    expect(
      refusal(
        makeDecision({ features: { ...features, choices: 128 } } as object),
      ),
    ).toBe('accepted');
    expect(
      refusal(makeDecision({ requestedModel: 'zürich-モデル-🚀'.repeat(14) })),
    ).toBe('accepted');
  });

  it('refuses a decision that names a capability twice (one column holds them all)', () => {
    expect(
      refusal(
        makeDecision({
          requiredCapabilities: Array(60).fill('tools'),
        } as object),
      ),
    ).toContain(
      'events[1].requiredCapabilities: must not name a capability twice',
    );
  });

  it('takes the largest values the contract allows, and a replica clock far ahead', () => {
    const { events } = parseEventBatch({
      events: [
        makeUsage({
          inputTokens: 2_147_483_647,
          costUsd: 1e12,
          timestamp: '2099-12-31T23:59:59.999Z',
        }),
        makeDecision({ timestamp: '2000-01-01T00:00:00.000Z' }),
      ],
    });
    expect(events).toHaveLength(2);
  });

  it('refuses a body that is no batch, or a batch with no valid event, naming each event', () => {
    expect(() => parseEventBatch({ events: [] })).toThrow(/events/);
    expect(() => parseEventBatch([makeUsage()])).toThrow(/Invalid event batch/);
    expect(() =>
      parseEventBatch({
        events: [
          { ...makeUsage(), costUsd: -1 },
          { ...makeDecision(), timestamp: 'yesterday' },
        ],
      }),
    ).toThrow(/events\[0\]\.costUsd.*; events\[1\]\.timestamp/);
  });

  it('refuses events older than the raw events the portal keeps, by index, beside valid ones', () => {
    const notBefore = Date.parse('2026-11-01T00:00:00.000Z');
    const { events, rejections } = parseEventBatch(
      {
        events: [
          makeUsage({ timestamp: '2026-11-20T10:15:30.000Z' }),
          { ...makeDecision(), costUsd: -1, timestamp: 'yesterday' },
          makeUsage({ timestamp: '2026-10-31T23:59:59.999Z' }),
        ],
      },
      notBefore,
    );
    expect(events).toHaveLength(1);
    expect(rejections.map(r => r.index)).toEqual([1, 2]);
    expect(rejections[1].message).toBe(
      'events[2].timestamp: is before 2026-11-01T00:00:00.000Z, the oldest raw events the portal keeps: it may have been counted and purged already, so it is not counted again',
    );
  });

  it('refuses an event that reuses an earlier id with other content, naming both, and passes an exact copy on for the store to count as a duplicate', () => {
    const first = makeUsage();
    const { events, rejections } = parseEventBatch({
      events: [first, { ...first, costUsd: 100 }, makeDecision(), { ...first }],
    });
    expect({ events, rejections }).toEqual({
      events: [
        first,
        expect.objectContaining({ type: 'routing-decision' }),
        first,
      ],
      rejections: [
        {
          index: 1,
          message:
            'events[1].id: reuses the id of events[0] with other content',
        },
      ],
    });
  });

  it("refuses by index the events the caller's check fails, keeping the others, and the batch when it fails them all", () => {
    const ofEuWest = (event: PlatformEvent) =>
      event.cell === 'eu-west-shared-1' ? undefined : 'cell: not eu-west';
    const usEast = makeUsage({ cell: 'us-east-shared-1' });
    const euWest = makeUsage();
    const { events, rejections } = parseEventBatch(
      { events: [usEast, euWest, { ...usEast, id: 'use-other' }] },
      undefined,
      ofEuWest,
    );
    expect({ events, rejections }).toEqual({
      events: [euWest],
      rejections: [
        { index: 0, message: 'events[0].cell: not eu-west' },
        { index: 2, message: 'events[2].cell: not eu-west' },
      ],
    });
    expect(() =>
      parseEventBatch({ events: [usEast] }, undefined, ofEuWest),
    ).toThrow('Invalid event batch: events[0].cell: not eu-west');
  });
});
