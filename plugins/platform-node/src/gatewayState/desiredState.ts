import {
  entityRefName,
  CellEntity,
  GATEWAY_STATE_SCHEMA_VERSION,
  GatewayAgent,
  GatewayApiKey,
  GatewayDesiredState,
  GatewayModelProfile,
  GatewayTenant,
  hostedTenants,
  sameEntityName,
  ModelProfileEntity,
  privateModelRefusal,
  Provider,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import { PlatformEntities } from '../catalog/platformEntities';
import {
  BoundApiKey,
  catalogApiKeys,
  configurationApiKeys,
  ManagedApiKeys,
  mergeApiKeys,
} from './boundApiKeys';

/** Label on a ModelProfile naming the model alias callers use; defaults to its name. */
export const MODEL_ALIAS_LABEL = 'cellport.dev/alias';
/** Annotation on a ModelProfile naming the gateway's environment variable with its credential. */
export const CREDENTIAL_ENV_ANNOTATION = 'cellport.dev/credential-env';

/** Where each hosted provider's credential is read from when a profile does not say. */
const DEFAULT_CREDENTIAL_ENV: Partial<Record<Provider, string>> = {
  openai: 'OPENAI_API_KEY',
  'azure-openai': 'AZURE_OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  together: 'TOGETHER_API_KEY',
  moonshot: 'MOONSHOT_API_KEY',
};

/** What the reconciler computed for one cell, with what it had to leave out and why. */
export interface ComputedState {
  state: GatewayDesiredState;
  warnings: string[];
}

function byId<T extends { id: string }>(items: T[]): T[] {
  // Code-unit order, so the version hash is the same on every machine; ids are unique.
  return [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Content hash of a state without its version: equal content, equal version. */
export function stateVersion(
  state: Omit<GatewayDesiredState, 'version'>,
): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

/**
 * The desired state of one cell's gateway: the tenants the cell hosts (`hostedTenants`),
 * their key hashes, budgets, limits and allowlists, the agents of the cell
 * with their routing, budgets and own rate limits, and every model profile any of them may
 * use, with its type (chat or embeddings). Deterministic: the same
 * catalog gives the same document and version.
 */
export function computeDesiredState(
  cell: CellEntity,
  entities: PlatformEntities,
  options: {
    /** Key hashes provisioned outside the catalog (the embedded default's demo keys). */
    extraApiKeys?: GatewayApiKey[];
    /**
     * Keys the portal issued, minted and rotated out (the platform database). Without them no
     * catalog-annotated key is served, since only the portal's records vouch for one: what
     * callers that only route (replay, the demo's history) pass.
     */
    managedApiKeys?: ManagedApiKeys;
    /**
     * The time keys' expiry is read at (ms since the epoch): a key expired by then is left out,
     * so gateways' states do not grow with every rotation. Absent from a gateway's state, a
     * key is refused, as it would be for having expired.
     */
    now?: number;
  } = {},
): ComputedState {
  const warnings: string[] = [];
  const cellName = cell.metadata.name;
  const hosted = new Set(hostedTenants(cell, entities.tenants));
  const agents = entities.agents.filter(agent => {
    if (!sameEntityName(agent.spec.cell, cellName)) return false;
    if ([...hosted].some(t => sameEntityName(t, agent.spec.tenant)))
      return true;
    warnings.push(
      `agent "${
        agent.metadata.name
      }": the cell does not host its tenant "${entityRefName(
        agent.spec.tenant,
      )}"`,
    );
    return false;
  });
  const tenants: TenantEntity[] = [];
  for (const name of hosted) {
    const tenant = entities.tenants.find(t => t.metadata.name === name);
    if (tenant) tenants.push(tenant);
    else warnings.push(`tenant "${name}" is not in the catalog`);
  }

  // The private-capacity rule, again here: a hand-edited entity that the catalog reports
  // is still read by the reconciler, and must not reach another tenant's capacity. A ref to
  // a profile the catalog lacks is left out too: nothing could serve it, and a name no
  // entity could have would make the whole cell's state invalid.
  // Names come out as the catalog spells them: a ref in other case names the same profile.
  const missing = new Set<string>();
  const usableRefs = (tenant: string, refs: string[], what: string) =>
    refs.flatMap(ref => {
      const name = entityRefName(ref);
      const profile = entities.modelProfiles.find(p =>
        sameEntityName(p.metadata.name, name),
      );
      if (!profile) {
        if (!missing.has(name)) {
          missing.add(name);
          warnings.push(`model profile "${name}" is not in the catalog`);
        }
        return [];
      }
      const refusal = privateModelRefusal(tenant, profile, entities.isolation);
      if (refusal) warnings.push(`${what}: ${refusal}`);
      return refusal ? [] : [profile.metadata.name];
    });
  // Each profile once: refs in other case or form name it again, and the gateway refuses a
  // list that names a profile twice.
  const usable = (tenant: string, refs: string[], what: string) => [
    ...new Set(usableRefs(tenant, refs, what)),
  ];
  const allowlists = new Map(
    tenants.map(t => [
      t.metadata.name,
      usable(
        t.metadata.name,
        t.spec.modelAllowlist,
        `tenant "${t.metadata.name}"`,
      ),
    ]),
  );
  const gatewayAgents = agents.map(agent => {
    // The hosted tenant's own name: the agent's ref may spell it in other case.
    const tenant = [...hosted].find(t => sameEntityName(t, agent.spec.tenant))!;
    const what = `agent "${agent.metadata.name}"`;
    return toGatewayAgent(agent, tenant, {
      preferredModels: usable(tenant, agent.spec.modelProfiles, what),
      fallbackChain: usable(tenant, agent.spec.routing.fallbackChain, what),
    });
  });

  const profileNames = new Set([
    ...[...allowlists.values()].flat(),
    ...gatewayAgents.flatMap(a => [...a.preferredModels, ...a.fallbackChain]),
  ]);
  const modelProfiles = [...profileNames].map(name =>
    toGatewayProfile(
      entities.modelProfiles.find(p => p.metadata.name === name)!,
    ),
  );

  const apiKeys = gatewayApiKeys(
    [
      // Only the hosted tenants' and the cell's agents' annotations: a key annotated on an
      // agent whose tenant the cell does not host never reaches this gateway.
      ...(options.managedApiKeys
        ? mergeApiKeys(
            collect(catalogApiKeys({ tenants, agents }), warnings),
            options.managedApiKeys,
            warnings,
          )
        : []),
      ...configurationApiKeys(options.extraApiKeys ?? []),
    ],
    { hosted, agents: gatewayAgents },
    warnings,
  );

  const content = {
    schemaVersion: GATEWAY_STATE_SCHEMA_VERSION,
    cell: cellName,
    tenants: byId(
      tenants.map(t => toGatewayTenant(t, allowlists.get(t.metadata.name)!)),
    ),
    apiKeys: apiKeys
      .filter(key => !isExpired(key, options.now))
      .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
    modelProfiles: byId(modelProfiles),
    agents: byId(gatewayAgents),
  } as const;
  return {
    state: {
      schemaVersion: content.schemaVersion,
      version: stateVersion(content),
      cell: content.cell,
      tenants: content.tenants,
      apiKeys: content.apiKeys,
      modelProfiles: content.modelProfiles,
      agents: content.agents,
    },
    warnings,
  };
}

function toGatewayTenant(
  tenant: TenantEntity,
  allowedModels: string[],
): GatewayTenant {
  const { spec } = tenant;
  return {
    id: tenant.metadata.name,
    monthlyBudgetUsd: spec.monthlyBudgetUsd,
    limits: spec.rateLimits,
    allowedModels: [...allowedModels].sort(),
    residencyRegions: spec.residency.pinned
      ? [...(spec.residency.regions ?? [])].sort()
      : [],
    classification: spec.dataClassification,
    promptCache: spec.promptCache,
    // Only when opted in, so a tenant that never did keeps its state (and version) as it was.
    ...(spec.telemetry.captureContent
      ? { telemetry: { captureContent: true } }
      : {}),
  };
}

function toGatewayProfile(profile: ModelProfileEntity): GatewayModelProfile {
  const { spec, metadata } = profile;
  const credentialEnv =
    metadata.annotations?.[CREDENTIAL_ENV_ANNOTATION] ??
    DEFAULT_CREDENTIAL_ENV[spec.provider];
  return {
    id: metadata.name,
    alias: metadata.labels?.[MODEL_ALIAS_LABEL] ?? metadata.name,
    type: spec.type,
    provider: spec.provider,
    upstreamModel: spec.model,
    endpoint: spec.endpoint,
    ...(credentialEnv ? { credentialEnv } : {}),
    region: spec.region,
    qualityTier: spec.qualityTier,
    contextLength: spec.capabilities.contextLength,
    maxOutputTokens: spec.capabilities.maxOutputTokens,
    features: [...spec.capabilities.features].sort(),
    ...(spec.capabilities.imageTokens !== undefined
      ? { imageTokens: spec.capabilities.imageTokens }
      : {}),
    inputPerMillionUsd: spec.pricing.inputPerMillionUsd,
    outputPerMillionUsd: spec.pricing.outputPerMillionUsd,
    maxClassification: spec.maxClassification,
  };
}

function toGatewayAgent(
  agent: PlatformEntities['agents'][number],
  tenant: string,
  models: Pick<GatewayAgent, 'preferredModels' | 'fallbackChain'>,
): GatewayAgent {
  const { spec } = agent;
  return {
    id: agent.metadata.name,
    tenant,
    policy: spec.routing.policy,
    preferredModels: models.preferredModels,
    fallbackChain: models.fallbackChain,
    maxFallbacks: spec.routing.maxFallbacks,
    requiredCapabilities: [...spec.routing.requiredCapabilities].sort(),
    ...(spec.runBudget.monthlyBudgetUsd !== undefined
      ? { monthlyBudgetUsd: spec.runBudget.monthlyBudgetUsd }
      : {}),
    ...(spec.runBudget.maxCostPerRunUsd !== undefined
      ? { maxCostPerRunUsd: spec.runBudget.maxCostPerRunUsd }
      : {}),
    ...(spec.rateLimits ? { limits: spec.rateLimits } : {}),
  };
}

function collect<T>(result: { keys: T[]; warnings: string[] }, into: string[]) {
  into.push(...result.warnings);
  return result.keys;
}

/**
 * The keys a gateway may take, as it takes them (no `source`, no `createdAt`). A key is left
 * out, with a warning, when its tenant is not hosted, when the agent it is bound to is not an
 * agent of that tenant in this cell (the gateway would refuse the whole state, and a key of
 * one tenant must never act as another tenant's agent), or when one hash is claimed for two
 * bindings (whose traffic it is cannot be told).
 */
function gatewayApiKeys(
  keys: BoundApiKey[],
  cell: { hosted: Set<string>; agents: GatewayAgent[] },
  warnings: string[],
): GatewayApiKey[] {
  const bySha = new Map<string, GatewayApiKey>();
  const contested = new Set<string>();
  for (const key of keys) {
    if (!cell.hosted.has(key.tenant)) continue;
    if (key.agent !== undefined) {
      const agent = cell.agents.find(a => a.id === key.agent);
      if (agent?.tenant !== key.tenant) {
        warnings.push(
          `API key ${key.prefix}… of tenant "${
            key.tenant
          }" is bound to agent "${key.agent}", which is ${
            agent ? `tenant "${agent.tenant}"'s` : 'not an agent of this cell'
          }; left out`,
        );
        continue;
      }
    }
    const gatewayKey: GatewayApiKey = {
      sha256: key.sha256,
      prefix: key.prefix,
      tenant: key.tenant,
      ...(key.agent !== undefined ? { agent: key.agent } : {}),
      ...(key.expiresAt !== undefined ? { expiresAt: key.expiresAt } : {}),
    };
    const seen = bySha.get(key.sha256);
    if (
      seen &&
      (seen.tenant !== gatewayKey.tenant || seen.agent !== gatewayKey.agent)
    ) {
      contested.add(key.sha256);
    } else if (!seen || expiresSooner(gatewayKey, seen)) {
      // One key listed twice for the same owner: its earliest end stands.
      bySha.set(key.sha256, gatewayKey);
    }
  }
  for (const sha256 of contested) {
    warnings.push(
      `API key ${
        bySha.get(sha256)!.prefix
      }… is claimed by two tenants or agents; left out for both`,
    );
    bySha.delete(sha256);
  }
  return [...bySha.values()];
}

function isExpired(key: GatewayApiKey, now: number | undefined): boolean {
  return (
    now !== undefined &&
    key.expiresAt !== undefined &&
    Date.parse(key.expiresAt) <= now
  );
}

function expiresSooner(a: GatewayApiKey, b: GatewayApiKey): boolean {
  if (!a.expiresAt) return false;
  return !b.expiresAt || Date.parse(a.expiresAt) < Date.parse(b.expiresAt);
}
