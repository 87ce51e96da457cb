import {
  CellEntity,
  GATEWAY_STATE_SCHEMA_VERSION,
  GatewayAgent,
  GatewayApiKey,
  gatewayApiKeySchema,
  GatewayDesiredState,
  GatewayModelProfile,
  GatewayTenant,
  hostedTenants,
  ModelProfileEntity,
  privateModelRefusal,
  Provider,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PlatformEntities, refName } from '../catalog/PlatformCatalog';

/**
 * Annotation on a Tenant holding its API keys' hashes, written by the scaffolder when it
 * creates keys: a JSON array of `{sha256, prefix, agent?, expiresAt?}`. Keys themselves
 * never reach the catalog.
 */
export const API_KEYS_ANNOTATION = 'cellport.dev/api-keys';
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

const annotatedKeysSchema = z.array(gatewayApiKeySchema.omit({ tenant: true }));

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
  } = {},
): ComputedState {
  const warnings: string[] = [];
  const cellName = cell.metadata.name;
  const hosted = new Set(hostedTenants(cell, entities.tenants));
  const agents = entities.agents.filter(agent => {
    if (refName(agent.spec.cell) !== cellName) return false;
    if (hosted.has(refName(agent.spec.tenant))) return true;
    warnings.push(
      `agent "${
        agent.metadata.name
      }": the cell does not host its tenant "${refName(agent.spec.tenant)}"`,
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
  // is still read by the reconciler, and must not reach another tenant's capacity.
  const usable = (tenant: string, refs: string[], what: string) =>
    refs.map(refName).filter(name => {
      const profile = entities.modelProfiles.find(
        p => p.metadata.name === name,
      );
      const refusal = profile && privateModelRefusal(tenant, profile, entities);
      if (refusal) warnings.push(`${what}: ${refusal}`);
      return !refusal;
    });
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
    const tenant = refName(agent.spec.tenant);
    const what = `agent "${agent.metadata.name}"`;
    return toGatewayAgent(agent, {
      preferredModels: usable(tenant, agent.spec.modelProfiles, what),
      fallbackChain: usable(tenant, agent.spec.routing.fallbackChain, what),
    });
  });

  const profileNames = new Set([
    ...[...allowlists.values()].flat(),
    ...gatewayAgents.flatMap(a => [...a.preferredModels, ...a.fallbackChain]),
  ]);
  const modelProfiles: GatewayModelProfile[] = [];
  for (const name of profileNames) {
    const profile = entities.modelProfiles.find(p => p.metadata.name === name);
    if (profile) modelProfiles.push(toGatewayProfile(profile));
    else warnings.push(`model profile "${name}" is not in the catalog`);
  }

  const apiKeys: GatewayApiKey[] = [];
  for (const tenant of tenants) {
    const raw = tenant.metadata.annotations?.[API_KEYS_ANNOTATION];
    if (!raw) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const keys = annotatedKeysSchema.safeParse(parsed);
    if (!keys.success) {
      warnings.push(
        `tenant "${tenant.metadata.name}": ${API_KEYS_ANNOTATION} is not a list of key hashes`,
      );
      continue;
    }
    for (const key of keys.data) {
      apiKeys.push({ ...key, tenant: tenant.metadata.name });
    }
  }

  for (const key of options.extraApiKeys ?? []) {
    if (hosted.has(key.tenant)) apiKeys.push(key);
  }

  const content = {
    schemaVersion: GATEWAY_STATE_SCHEMA_VERSION,
    cell: cellName,
    tenants: byId(
      tenants.map(t => toGatewayTenant(t, allowlists.get(t.metadata.name)!)),
    ),
    apiKeys: [...apiKeys].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
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
    inputPerMillionUsd: spec.pricing.inputPerMillionUsd,
    outputPerMillionUsd: spec.pricing.outputPerMillionUsd,
    maxClassification: spec.maxClassification,
  };
}

function toGatewayAgent(
  agent: PlatformEntities['agents'][number],
  models: Pick<GatewayAgent, 'preferredModels' | 'fallbackChain'>,
): GatewayAgent {
  const { spec } = agent;
  return {
    id: agent.metadata.name,
    tenant: refName(spec.tenant),
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
