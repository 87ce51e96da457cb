import {
  GATEWAY_STATE_MAX_ENTRIES,
  gatewayDesiredStateSchema,
} from '@cellport/plugin-platform-common';
import { compileState, compileSteps } from './CompiledState';
import { ENTRIES_PER_STEP } from './steps';
import { StateValidationError } from './validateState';
import { testState } from './__testUtils__/testState';

/** What the contract's schema, read whole, says of a document, as a refusal names it. */
function wholeSchemaIssues(input: unknown): string[] {
  const result = gatewayDesiredStateSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map(
        issue =>
          `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      );
}

function refusal(input: unknown): { issues: string[]; count: number } {
  try {
    compileState(input);
  } catch (error) {
    if (error instanceof StateValidationError) {
      return { issues: error.issues, count: error.issueCount };
    }
    throw error;
  }
  return { issues: [], count: 0 };
}

describe('validating a state a slice of entries at a time', () => {
  const valid = testState('v1') as unknown as Record<string, unknown>;
  const hostile: Array<[string, unknown]> = [
    ['a string', 'state'],
    ['a list', []],
    ['null', null],
    ['a number', 42],
    ['without its lists', { schemaVersion: 1, version: 'v', cell: 'c' }],
    ['with a list that is an object', { ...valid, tenants: {} }],
    ['with a list that is text', { ...valid, apiKeys: 'keys' }],
    ['with a field it does not know', { ...valid, expires_at: 'soon' }],
    [
      'with a __proto__ key',
      JSON.parse(
        `{"__proto__":{"tenants":[]},${JSON.stringify(valid).slice(1)}`,
      ),
    ],
    ['of another schema version', { ...valid, schemaVersion: 2 }],
    [
      'with an empty version and a bad cell',
      { ...valid, version: '', cell: 'Bad Cell' },
    ],
    ['with empty entries', { ...valid, tenants: [{}, {}], agents: [{}] }],
    [
      'with entries of wrong types and unknown fields',
      {
        ...valid,
        apiKeys: [{ sha256: 'x', prefix: 1, tenant: {}, extra: true }],
        modelProfiles: [
          {
            ...(valid.modelProfiles as object[])[0],
            contextLength: -1,
            nope: 1,
          },
        ],
      },
    ],
    [
      'with bad fields and bad entries at once',
      { ...valid, version: 7, tenants: [{ id: 'Bad Id' }], extra: [] },
    ],
    [
      'with more tenants than a state holds',
      {
        ...valid,
        tenants: Array(GATEWAY_STATE_MAX_ENTRIES.tenants + 1).fill({}),
      },
    ],
  ];

  it.each(hostile)(
    'names what the whole schema names of a document %s',
    (_what, input) => {
      const expected = wholeSchemaIssues(input);
      expect(expected.length).toBeGreaterThan(0);
      const { issues, count } = refusal(input);
      expect(issues).toEqual(expected);
      expect(count).toBe(expected.length);
    },
  );

  it('reads a valid document as the whole schema does, defaults included', () => {
    const document = testState('v1') as unknown as { modelProfiles: object[] };
    delete (document.modelProfiles[0] as { type?: string }).type;
    expect(compileState(document).document).toEqual(
      gatewayDesiredStateSchema.parse(document),
    );
  });

  it('counts every issue of many bad entries and lists the first hundred, as the whole schema orders them', () => {
    for (const input of [
      { ...valid, tenants: Array(3_000).fill({}) },
      { ...valid, extra: 1, tenants: Array(200).fill({}) },
    ]) {
      const expected = wholeSchemaIssues(input);
      const { issues, count } = refusal(input);
      expect(count).toBe(expected.length);
      expect(issues).toEqual(expected.slice(0, 100));
      expect(issues[0]).toMatch(/^tenants\.0\./);
    }
  });

  it('yields between slices of entries, and compiles what the whole run compiles', () => {
    const state = testState('v1');
    for (let i = 0; i < 5 * ENTRIES_PER_STEP; i++) {
      state.apiKeys.push({
        sha256: i.toString(16).padStart(64, '0'),
        prefix: 'cp-many',
        tenant: state.tenants[0].id,
      });
    }
    const steps = compileSteps(state);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields += 1;
    // Checked against the schema, cross-checked and compiled: five slices each at least.
    expect(yields).toBeGreaterThanOrEqual(15);
    const whole = compileState(state);
    expect(step.value.keysByHash).toEqual(whole.keysByHash);
    expect(step.value.tenants).toEqual(whole.tenants);
    expect(step.value.agents).toEqual(whole.agents);
  });
});
