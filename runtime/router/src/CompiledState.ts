import {
  Classification,
  classificationAllowed,
  GatewayAgent,
  GatewayApiKey,
  GatewayDesiredState,
  gatewayDesiredStateSchema,
  GatewayModelProfile,
  GatewayTenant,
  ModelType,
  profileFeatures,
} from '@cellport/plugin-platform-common';

/** The model name that lets the router choose among everything the caller may use. */
export const AUTO_MODEL = 'auto';

const CLASSIFICATION_RANK: Record<Classification, number> = {
  PUBLIC: 0,
  INTERNAL: 1,
  CONFIDENTIAL: 2,
  RESTRICTED: 3,
};

export function classificationRank(classification: Classification): number {
  return CLASSIFICATION_RANK[classification];
}

/**
 * A model profile with what the router reads on every request worked out once: the rank of
 * its classification ceiling, its features as a set, and its price for a typical 3:1
 * input-to-output mix.
 */
export interface CompiledProfile extends GatewayModelProfile {
  ceilingRank: number;
  featureSet: ReadonlySet<string>;
  blendedPricePerMillion: number;
}

/** Profiles by the endpoint they serve. */
export type ProfilesByType = Readonly<
  Record<ModelType, readonly CompiledProfile[]>
>;

/** A tenant with its lists turned into sets for constant-time checks on the request path. */
export interface CompiledTenant extends GatewayTenant {
  allowed: ReadonlySet<string>;
  residency: ReadonlySet<string>;
  /** `residencyRegions` joined, for drop details. */
  residencyText: string;
  /** What `auto` chooses among on each endpoint: the allowed profiles of its type. */
  autoProfiles: ProfilesByType;
  /**
   * The profiles each name (id or alias) stands for, among those the tenant may use: to a
   * tenant, another's private model does not exist, so no answer or decision names it.
   */
  profilesByName: ReadonlyMap<string, CompiledProfile[]>;
}

/** An agent with its model lists resolved to profiles once, not on every request. */
export interface CompiledAgent extends GatewayAgent {
  /** What `auto` chooses among: the preferred profiles of each type, in order (may be empty). */
  preferredProfiles: ProfilesByType;
  fallbackProfiles: readonly CompiledProfile[];
}

function byType(profiles: CompiledProfile[]): ProfilesByType {
  return {
    chat: profiles.filter(profile => profile.type === 'chat'),
    embeddings: profiles.filter(profile => profile.type === 'embeddings'),
  };
}

/** Profiles by each name they answer to: their id and their alias. */
function byName(
  profiles: Iterable<CompiledProfile>,
): Map<string, CompiledProfile[]> {
  const named = new Map<string, CompiledProfile[]>();
  for (const profile of profiles) {
    for (const name of new Set([profile.id, profile.alias])) {
      const list = named.get(name) ?? [];
      list.push(profile);
      named.set(name, list);
    }
  }
  return named;
}

export interface CompiledKey extends GatewayApiKey {
  expiresAtMs?: number;
}

/**
 * The desired state in the shape the request path reads: maps by id, alias and key hash. It is
 * immutable; a push builds a new one and swaps it in whole.
 */
export interface CompiledState {
  readonly document: GatewayDesiredState;
  readonly version: string;
  readonly cell: string;
  readonly keysByHash: ReadonlyMap<string, CompiledKey>;
  readonly tenants: ReadonlyMap<string, CompiledTenant>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  /** Profiles by alias; a profile's id counts as an alias too. */
  readonly profilesByName: ReadonlyMap<string, CompiledProfile[]>;
  readonly agents: ReadonlyMap<string, CompiledAgent>;
}

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

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter(id => (seen.has(id) ? true : (seen.add(id), false)));
}

/** Checks what the schema cannot: ids unique and every reference resolving. */
function crossCheck(state: GatewayDesiredState): string[] {
  const issues: string[] = [];
  const tenants = new Set(state.tenants.map(t => t.id));
  const profiles = new Set(state.modelProfiles.map(p => p.id));
  const agents = new Map(state.agents.map(a => [a.id, a]));
  for (const [field, ids] of [
    ['tenants', state.tenants.map(t => t.id)],
    ['modelProfiles', state.modelProfiles.map(p => p.id)],
    ['agents', state.agents.map(a => a.id)],
    ['apiKeys', state.apiKeys.map(k => k.sha256)],
  ] as const) {
    for (const id of duplicates([...ids])) {
      issues.push(`${field}: duplicate id "${id}"`);
    }
  }
  // `auto` is the router's own choice: a profile aliased so could never be asked for.
  state.modelProfiles.forEach((profile, i) => {
    if (profile.alias === AUTO_MODEL) {
      issues.push(
        `modelProfiles.${i}.alias: "auto" is the router's own choice`,
      );
    }
  });
  state.tenants.forEach((tenant, i) =>
    tenant.allowedModels.forEach((model, j) => {
      if (!profiles.has(model)) {
        issues.push(
          `tenants.${i}.allowedModels.${j}: unknown model profile "${model}"`,
        );
      }
    }),
  );
  state.apiKeys.forEach((key, i) => {
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
  state.agents.forEach((agent, i) => {
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
  return issues;
}

/** Validates a pushed document whole and compiles it; throws StateValidationError. */
export function compileState(input: unknown): CompiledState {
  const parsed = gatewayDesiredStateSchema.safeParse(input);
  if (!parsed.success) {
    const all = parsed.error.issues;
    throw new StateValidationError(
      all
        .slice(0, MAX_REPORTED_ISSUES)
        .map(issue => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
      all.length,
    );
  }
  const document = parsed.data;
  const issues = crossCheck(document);
  if (issues.length > 0) {
    throw new StateValidationError(issues);
  }
  const profiles = new Map<string, CompiledProfile>(
    document.modelProfiles.map(profile => [
      profile.id,
      {
        ...profile,
        ceilingRank: classificationRank(profile.maxClassification),
        featureSet: profileFeatures(profile.provider, profile.features),
        blendedPricePerMillion:
          (3 * profile.inputPerMillionUsd + profile.outputPerMillionUsd) / 4,
      },
    ]),
  );
  const allowedModels = new Map(
    document.tenants.map(tenant => [tenant.id, new Set(tenant.allowedModels)]),
  );
  const allowedOf = (tenant: string) =>
    allowedModels.get(tenant) ?? new Set<string>();
  const profilesByName = byName(profiles.values());
  return {
    document,
    version: document.version,
    cell: document.cell,
    keysByHash: new Map(
      document.apiKeys.map(key => [
        key.sha256,
        {
          ...key,
          expiresAtMs: key.expiresAt ? Date.parse(key.expiresAt) : undefined,
        },
      ]),
    ),
    tenants: new Map(
      document.tenants.map(tenant => [
        tenant.id,
        {
          ...tenant,
          allowed: new Set(tenant.allowedModels),
          residency: new Set(tenant.residencyRegions),
          residencyText: tenant.residencyRegions.join(', '),
          autoProfiles: byType(
            tenant.allowedModels.map(id => profiles.get(id)!),
          ),
          profilesByName: byName(
            tenant.allowedModels.map(id => profiles.get(id)!),
          ),
        },
      ]),
    ),
    profiles,
    profilesByName,
    agents: new Map(
      document.agents.map(agent => [
        agent.id,
        {
          ...agent,
          // `auto` prefers the agent's models its tenant may use; with none, the tenant's.
          preferredProfiles: byType(
            agent.preferredModels
              .filter(id => allowedOf(agent.tenant).has(id))
              .map(id => profiles.get(id)!),
          ),
          // Another tenant's profile is never a candidate, so no answer or decision names it.
          fallbackProfiles: agent.fallbackChain
            .filter(id => allowedOf(agent.tenant).has(id))
            .map(id => profiles.get(id)!),
        },
      ]),
    ),
  };
}

/**
 * The profiles a tenant may use at all: allowed, inside its residency and able to take its
 * highest data class. What `GET /v1/models` lists.
 */
export function usableProfiles(
  state: CompiledState,
  tenant: CompiledTenant,
): GatewayModelProfile[] {
  return state.document.modelProfiles.filter(
    profile =>
      tenant.allowed.has(profile.id) &&
      (tenant.residency.size === 0 || tenant.residency.has(profile.region)) &&
      classificationAllowed(tenant.classification, profile.maxClassification),
  );
}
