import {
  entityRefName,
  AgentEntity,
  API_KEYS_ANNOTATION,
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
  /** `catalog`: an entity's annotation; `portal`: minted by a rotation, in the database. */
  source: 'catalog' | 'portal';
}

/** What the platform database adds to the catalog's keys: minted keys and rotations. */
export interface ManagedApiKeys {
  minted: BoundApiKey[];
  /** Rotated-out keys (by SHA-256) and when each stops working. */
  rotatedOut: Map<string, string>;
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

/**
 * The catalog's keys with the database's: minted keys added, and a rotated-out key's
 * `expiresAt` set (the earlier one wins, so no rotation can lengthen a key's life).
 */
export function mergeApiKeys(
  catalogKeys: BoundApiKey[],
  managed: ManagedApiKeys,
): BoundApiKey[] {
  return [...catalogKeys, ...managed.minted].map(key => {
    const rotatedOut = managed.rotatedOut.get(key.sha256);
    if (!rotatedOut) return key;
    const expiresAt =
      key.expiresAt && Date.parse(key.expiresAt) < Date.parse(rotatedOut)
        ? key.expiresAt
        : rotatedOut;
    return { ...key, expiresAt };
  });
}
