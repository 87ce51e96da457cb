import { strictParameters } from './strictParameters';

describe('strictParameters', () => {
  const weather = {
    type: 'object',
    properties: {
      city: { type: 'string' },
      units: { type: 'string', enum: ['c', 'f'] },
      at: {
        type: 'object',
        properties: { lat: { type: 'number' }, lon: { type: 'number' } },
        required: ['lat'],
      },
      stops: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' } } },
      },
      when: {
        anyOf: [
          { type: 'string' },
          { type: 'object', properties: { day: { $ref: '#/$defs/day' } } },
        ],
      },
    },
    required: ['city'],
    $defs: { day: { type: 'object', properties: { n: { type: 'integer' } } } },
  };

  it('closes every object and requires all its properties, as the Responses API does', () => {
    const strict = strictParameters(weather)!;
    const closed = (properties: object, extra: object = {}) => ({
      type: 'object',
      properties,
      required: Object.keys(properties),
      additionalProperties: false,
      ...extra,
    });
    expect(strict.schema).toEqual({
      ...closed({
        city: { type: 'string' },
        units: { type: 'string', enum: ['c', 'f'] },
        at: closed({ lat: { type: 'number' }, lon: { type: 'number' } }),
        stops: { type: 'array', items: closed({ name: { type: 'string' } }) },
        when: {
          anyOf: [{ type: 'string' }, closed({ day: { $ref: '#/$defs/day' } })],
        },
      }),
      $defs: { day: closed({ n: { type: 'integer' } }) },
    });
    // The caller's schema is left as it came: the normalized one is a copy.
    expect(weather.required).toEqual(['city']);
    expect('additionalProperties' in weather).toBe(false);
  });

  it('counts at least the bytes it adds, so the prompt bound still holds', () => {
    const nonLatin = {
      type: 'object',
      properties: {
        日本語日本語: { type: 'string' },
        '😀😀😀': { type: 'object', properties: { ключ: { type: 'string' } } },
      },
    };
    for (const parameters of [
      weather,
      undefined,
      {},
      { properties: {} },
      nonLatin,
    ]) {
      const strict = strictParameters(parameters)!;
      const bytes = (value: unknown) =>
        Buffer.byteLength(JSON.stringify(value));
      const grown =
        parameters === undefined
          ? Buffer.byteLength(`,"parameters":${JSON.stringify(strict.schema)}`)
          : bytes(strict.schema) - bytes(parameters);
      expect(strict.addedBytes).toBeGreaterThanOrEqual(grown);
    }
  });

  it('gives an absent schema the empty object strict mode takes', () => {
    expect(strictParameters(undefined)?.schema).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
  });

  it.each([
    ['a root that is not an object', { type: 'string' }],
    [
      'additional properties allowed',
      { type: 'object', additionalProperties: true },
    ],
    [
      'a nested object open to more properties',
      {
        type: 'object',
        properties: {
          tags: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    ],
    [
      'allOf',
      { type: 'object', properties: { a: { allOf: [{ type: 'string' }] } } },
    ],
    ['patternProperties', { type: 'object', patternProperties: { '^x': {} } }],
    ['a value that is no schema', 'x'],
  ])('leaves a schema with %s as it is, not strict', (_what, parameters) => {
    expect(strictParameters(parameters)).toBeUndefined();
  });

  it('leaves a schema of more subschemas than any tool has as it is', () => {
    const properties: Record<string, object> = {};
    for (let i = 0; i < 6_000; i++) properties[`p${i}`] = { type: 'string' };
    expect(strictParameters({ type: 'object', properties })).toBeUndefined();
    // 200,000 subschemas in one array (600 KB, under the body limit): refused, not a stack
    // overflow from spreading them.
    const anyOf = Array.from({ length: 200_000 }, () => ({}));
    expect(
      strictParameters({ type: 'object', properties: { a: { anyOf } } }),
    ).toBeUndefined();
    // Nothing past the cap goes unwalked: an allOf hidden after 5,000 non-schemas still counts.
    const hidden = [
      ...Array.from({ length: 5_000 }, () => true),
      { type: 'object', allOf: [{}] },
    ];
    expect(
      strictParameters({
        type: 'object',
        properties: { a: { anyOf: hidden } },
      }),
    ).toBeUndefined();
  });
});
