import {
  Classification,
  classificationAllowed,
  GatewayAgent,
  GatewayApiKey,
  GatewayDesiredState,
  GatewayModelProfile,
  GatewayTenant,
  ModelType,
  profileFeatures,
} from '@cellport/plugin-platform-common';
import { eachInSteps, runSteps, Steps } from './steps';
import { validateState } from './validateState';

/**
 * How much of a refusal's detail the residency list may take: the detail travels in a
 * RoutingDecision, whose candidate details hold 500 characters (`routingCandidateSchema`), and
 * a tenant may allow any number of regions. One too long would have the portal refuse the
 * event.
 */
const RESIDENCY_TEXT_CHARS = 300;

/** The regions, comma-separated, then "and N more" once the next would pass `maxChars`. */
function regionsWithin(regions: string[], maxChars: number): string {
  let text = '';
  for (let i = 0; i < regions.length; i++) {
    const next = text ? `${text}, ${regions[i]}` : regions[i];
    if (next.length > maxChars) return `${text} and ${regions.length - i} more`;
    text = next;
  }
  return text;
}

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

/**
 * Validates a pushed document whole and compiles it, in steps: at the maxima a state is tens
 * of megabytes and a second or two of work, which a gateway's event loop takes a slice at a
 * time (`runStepsInTurns`), answering requests between slices. Throws StateValidationError.
 */
export function* compileSteps(input: unknown): Steps<CompiledState> {
  const document = yield* validateState(input);
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
  const allowedModels = new Map<string, Set<string>>();
  yield* eachInSteps(document.tenants, tenant =>
    allowedModels.set(tenant.id, new Set(tenant.allowedModels)),
  );
  const allowedOf = (tenant: string) =>
    allowedModels.get(tenant) ?? new Set<string>();
  const keysByHash = new Map<string, CompiledKey>();
  yield* eachInSteps(document.apiKeys, key =>
    keysByHash.set(key.sha256, {
      ...key,
      expiresAtMs: key.expiresAt ? Date.parse(key.expiresAt) : undefined,
    }),
  );
  const tenants = new Map<string, CompiledTenant>();
  yield* eachInSteps(document.tenants, tenant => {
    const allowed = tenant.allowedModels.map(id => profiles.get(id)!);
    tenants.set(tenant.id, {
      ...tenant,
      allowed: allowedOf(tenant.id),
      residency: new Set(tenant.residencyRegions),
      residencyText: regionsWithin(
        tenant.residencyRegions,
        RESIDENCY_TEXT_CHARS,
      ),
      autoProfiles: byType(allowed),
      profilesByName: byName(allowed),
    });
  });
  const agents = new Map<string, CompiledAgent>();
  yield* eachInSteps(document.agents, agent =>
    agents.set(agent.id, {
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
    }),
  );
  return {
    document,
    version: document.version,
    cell: document.cell,
    keysByHash,
    tenants,
    profiles,
    profilesByName: byName(profiles.values()),
    agents,
  };
}

/** Validates a document whole and compiles it at once; throws StateValidationError. */
export function compileState(input: unknown): CompiledState {
  return runSteps(compileSteps(input));
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
