import {
  GATEWAY_STATE_MAX_ENTRIES,
  GatewayAgent,
  GatewayDesiredState,
  gatewayDesiredStateSchema,
  gatewayStateEnvelopeSchema,
} from '@cellport/plugin-platform-common';
import { eachInSteps, Steps } from './steps';

/** The model name that lets the router choose among everything the caller may use. */
export const AUTO_MODEL = 'auto';

/** Issues a refusal lists at most: a push of many bad entries gets a bounded answer. */
export const MAX_REPORTED_ISSUES = 100;

/** A desired state that failed validation; `issues` name each bad field. */
export class StateValidationError extends Error {
  /** The first MAX_REPORTED_ISSUES issues; `issueCount` counts them all. */
  readonly issues: string[];

  constructor(issues: string[], readonly issueCount = issues.length) {
    super(
      `desired state is invalid: ${issues.slice(0, 5).join('; ')}${
        issueCount > 5 ? ` (${issueCount} issues)` : ''
      }`,
    );
    this.name = 'StateValidationError';
    this.issues = issues.slice(0, MAX_REPORTED_ISSUES);
  }
}

/** Issues as a refusal names them (`tenants.3.id: ...`): all counted, the first kept. */
class Issues {
  count = 0;
  readonly first: string[] = [];

  add(
    found: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
    at: PropertyKey[] = [],
  ): void {
    for (const issue of found) {
      this.count += 1;
      if (this.first.length < MAX_REPORTED_ISSUES) {
        const path = [...at, ...issue.path].map(String).join('.');
        this.first.push(`${path || '(root)'}: ${issue.message}`);
      }
    }
  }
}

type EntryList = keyof typeof GATEWAY_STATE_MAX_ENTRIES;
const ENTRY_LISTS = Object.keys(GATEWAY_STATE_MAX_ENTRIES) as EntryList[];

/**
 * The document checked against the contract's schema: every field but the lists first, then
 * each list and its entries, each entry against the list's element schema, a slice of entries
 * a step. A list longer than a state holds is one issue, and its entries are not read.
 */
function* checkSchema(input: unknown): Steps<GatewayDesiredState> {
  const issues = new Issues();
  const envelope = gatewayStateEnvelopeSchema.safeParse(input);
  // Fields unknown to the schema come last, after the lists, as the whole schema has them.
  const unknownFields = envelope.success
    ? []
    : envelope.error.issues.filter(issue => issue.code === 'unrecognized_keys');
  if (!envelope.success) {
    issues.add(
      envelope.error.issues.filter(issue => issue.code !== 'unrecognized_keys'),
    );
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new StateValidationError(issues.first, issues.count);
  }
  const lists: Partial<Record<EntryList, unknown[]>> = {};
  for (const list of ENTRY_LISTS) {
    const schema = gatewayDesiredStateSchema.shape[list];
    const entries = Object.hasOwn(input, list)
      ? (input as Record<EntryList, unknown>)[list]
      : undefined;
    if (
      !Array.isArray(entries) ||
      entries.length > GATEWAY_STATE_MAX_ENTRIES[list]
    ) {
      const wrong = schema.safeParse(entries);
      if (!wrong.success) issues.add(wrong.error.issues, [list]);
      continue;
    }
    const checked: unknown[] = [];
    yield* eachInSteps(entries, (entry, i) => {
      const result = schema.element.safeParse(entry);
      if (result.success) checked.push(result.data);
      else issues.add(result.error.issues, [list, i]);
    });
    lists[list] = checked;
  }
  issues.add(unknownFields);
  if (issues.count > 0 || !envelope.success) {
    throw new StateValidationError(issues.first, issues.count);
  }
  return { ...envelope.data, ...lists } as GatewayDesiredState;
}

/** The ids of `entries`, each repeated one an issue, a slice of entries a step. */
function* idsOf<T>(
  field: string,
  entries: readonly T[],
  idOf: (entry: T) => string,
  issues: string[],
): Steps<Set<string>> {
  const ids = new Set<string>();
  yield* eachInSteps(entries, entry => {
    const id = idOf(entry);
    if (ids.has(id)) issues.push(`${field}: duplicate id "${id}"`);
    else ids.add(id);
  });
  return ids;
}

/** Checks what the schema cannot: ids unique and every reference resolving. */
function* crossCheck(state: GatewayDesiredState): Steps<void> {
  const issues: string[] = [];
  const tenants = yield* idsOf('tenants', state.tenants, t => t.id, issues);
  const profiles = yield* idsOf(
    'modelProfiles',
    state.modelProfiles,
    p => p.id,
    issues,
  );
  yield* idsOf('agents', state.agents, a => a.id, issues);
  yield* idsOf('apiKeys', state.apiKeys, k => k.sha256, issues);
  const agents = new Map<string, GatewayAgent>();
  yield* eachInSteps(state.agents, agent => agents.set(agent.id, agent));
  // `auto` is the router's own choice: a profile aliased so could never be asked for.
  state.modelProfiles.forEach((profile, i) => {
    if (profile.alias === AUTO_MODEL) {
      issues.push(
        `modelProfiles.${i}.alias: "auto" is the router's own choice`,
      );
    }
  });
  yield* eachInSteps(state.tenants, (tenant, i) =>
    tenant.allowedModels.forEach((model, j) => {
      if (!profiles.has(model)) {
        issues.push(
          `tenants.${i}.allowedModels.${j}: unknown model profile "${model}"`,
        );
      }
    }),
  );
  yield* eachInSteps(state.apiKeys, (key, i) => {
    if (!tenants.has(key.tenant)) {
      issues.push(`apiKeys.${i}.tenant: unknown tenant "${key.tenant}"`);
    }
    if (key.agent !== undefined) {
      const agent = agents.get(key.agent);
      if (!agent) {
        issues.push(`apiKeys.${i}.agent: unknown agent "${key.agent}"`);
      } else if (agent.tenant !== key.tenant) {
        issues.push(
          `apiKeys.${i}.agent: agent "${key.agent}" belongs to tenant "${agent.tenant}"`,
        );
      }
    }
  });
  yield* eachInSteps(state.agents, (agent, i) => {
    if (!tenants.has(agent.tenant)) {
      issues.push(`agents.${i}.tenant: unknown tenant "${agent.tenant}"`);
    }
    for (const list of ['preferredModels', 'fallbackChain'] as const) {
      agent[list].forEach((model, j) => {
        if (!profiles.has(model)) {
          issues.push(
            `agents.${i}.${list}.${j}: unknown model profile "${model}"`,
          );
        }
      });
    }
  });
  if (issues.length > 0) throw new StateValidationError(issues);
}

/** A pushed document validated whole, in steps: the schema, then the cross-references. */
export function* validateState(input: unknown): Steps<GatewayDesiredState> {
  const document = yield* checkSchema(input);
  yield* crossCheck(document);
  return document;
}
