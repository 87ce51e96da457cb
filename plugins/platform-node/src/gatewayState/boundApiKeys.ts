import {
  entityRefName,
  AgentEntity,
  API_KEYS_ANNOTATION,
  GatewayApiKey,
  parseApiKeysAnnotation,
  TenantEntity,
} from '@cellport/plugin-platform-common';

/** An API key's hash with whom it belongs to (entity names) and where it is kept. */
export interface BoundApiKey {
  sha256: string;
  prefix: string;
  tenant: string;
  agent?: string;
  createdAt?: string;
  expiresAt?: string;
  /**
   * `catalog`: an entity's annotation; `portal`: minted by a rotation, in the database;
   * `configuration`: `platform.reconciler.apiKeys`, served as configured.
   */
  source: 'catalog' | 'portal' | 'configuration';
}

/** Whom the portal issued a key to: a tenant, and the agent for an agent-bound key. */
export interface ApiKeyHolder {
  tenant: string;
  agent?: string;
}

/** What the platform database adds to the catalog's keys: minted keys, rotations, issues. */
export interface ManagedApiKeys {
  minted: BoundApiKey[];
  /** Rotated-out keys (by SHA-256) and when each stops working. */
  rotatedOut: Map<string, string>;
  /** Every key the portal issued for a catalog annotation (by SHA-256), and to whom. */
  issued: Map<string, ApiKeyHolder>;
}

export const NO_MANAGED_API_KEYS: ManagedApiKeys = {
  minted: [],
  rotatedOut: new Map(),
  issued: new Map(),
};

/** Why a catalog-annotated key is not served: the portal never issued it, or issued it to another owner. */
export type UnvouchedApiKey = 'not-issued' | 'issued-to-another';

/**
 * Why a key annotated in the catalog is not served, or undefined when the portal vouches for
 * it. An annotation is only text in a file: whoever can push to the entity's repository could
 * add a hash of their own, or move an agent with its keys to another tenant. A key is served
 * only when the portal itself issued it (the scaffolder's key actions, recorded as sealed) to
 * the same tenant and agent the annotation binds it to.
 */
export function unvouchedApiKey(
  key: BoundApiKey,
  issued: Map<string, ApiKeyHolder>,
): UnvouchedApiKey | undefined {
  const holder = issued.get(key.sha256);
  if (!holder) return 'not-issued';
  if (holder.tenant !== key.tenant || holder.agent !== key.agent) {
    return 'issued-to-another';
  }
  return undefined;
}

/** `unvouchedApiKey`'s answer as a sentence for logs: the key, its owner and why. */
export function describeUnvouchedApiKey(
  key: BoundApiKey,
  why: UnvouchedApiKey,
): string {
  const owner = `tenant "${key.tenant}"${
    key.agent !== undefined ? ` (agent "${key.agent}")` : ''
  }`;
  return `API key ${key.prefix}… of ${owner} ${
    why === 'not-issued'
      ? 'was not issued by the portal'
      : 'was issued to another tenant or agent'
  }`;
}

/**
 * The keys annotated on Tenants and Agents (`cellport.dev/api-keys`). A Tenant's key is the
 * tenant's (bound to one of its agents if the entry says so); an Agent's key is bound to that
 * agent and its tenant: an entry there naming another agent is refused, so an agent's file
 * cannot hand out keys for someone else's agent.
 */
export function catalogApiKeys(entities: {
  tenants: TenantEntity[];
  agents: AgentEntity[];
}): { keys: BoundApiKey[]; warnings: string[] } {
  const keys: BoundApiKey[] = [];
  const warnings: string[] = [];
  const read = (what: string, value: string | undefined) => {
    const parsed = parseApiKeysAnnotation(value);
    if (parsed.ok) return parsed.keys;
    warnings.push(`${what}: ${parsed.error}`);
    return [];
  };
  for (const tenant of entities.tenants) {
    const name = tenant.metadata.name;
    for (const key of read(
      `tenant "${name}"`,
      tenant.metadata.annotations?.[API_KEYS_ANNOTATION],
    )) {
      keys.push({ ...key, tenant: name, source: 'catalog' });
    }
  }
  for (const agent of entities.agents) {
    const name = agent.metadata.name;
    for (const key of read(
      `agent "${name}"`,
      agent.metadata.annotations?.[API_KEYS_ANNOTATION],
    )) {
      if (key.agent !== undefined && key.agent !== name) {
        warnings.push(
          `agent "${name}": key ${key.prefix}… names agent "${key.agent}"; an agent's keys are its own, so it is left out`,
        );
        continue;
      }
      keys.push({
        ...key,
        tenant: entityRefName(agent.spec.tenant),
        agent: name,
        source: 'catalog',
      });
    }
  }
  return { keys, warnings };
}

/** The keys of `platform.reconciler.apiKeys`: the configuration's, no rotation ends them. */
export function configurationApiKeys(keys: GatewayApiKey[]): BoundApiKey[] {
  return keys.map(key => ({ ...key, source: 'configuration' }));
}

/**
 * The catalog's keys the portal vouches for (`unvouchedApiKey`; each refusal added to
 * `warnings`) with the database's: minted keys added, and a rotated-out key's `expiresAt` set
 * (the earlier one wins, so no rotation can lengthen a key's life).
 */
export function mergeApiKeys(
  catalogKeys: BoundApiKey[],
  managed: ManagedApiKeys,
  warnings: string[] = [],
): BoundApiKey[] {
  const vouched = catalogKeys.filter(key => {
    const why = unvouchedApiKey(key, managed.issued);
    if (why) warnings.push(`${describeUnvouchedApiKey(key, why)}; left out`);
    return !why;
  });
  return [...vouched, ...managed.minted].map(key => {
    const rotatedOut = managed.rotatedOut.get(key.sha256);
    if (!rotatedOut) return key;
    const expiresAt =
      key.expiresAt && Date.parse(key.expiresAt) < Date.parse(rotatedOut)
        ? key.expiresAt
        : rotatedOut;
    return { ...key, expiresAt };
  });
}
