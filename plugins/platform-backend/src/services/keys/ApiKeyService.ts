import { Config } from '@backstage/config';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  type ApiKeySummary,
  entityRefName,
  type RotatedApiKey,
} from '@cellport/plugin-platform-common';
import {
  API_KEY_PREFIX_LENGTH,
  Clock,
  hashApiKey,
  mintApiKey,
  PlatformCatalog,
} from '@cellport/plugin-platform-node';
import { readPlatformSettings } from '../../config/platformSettings';
import { ReconcilerService } from '../reconciler/ReconcilerService';
import { ApiKeyRevealStore, SealedApiKey } from './ApiKeyRevealStore';
import { ApiKeyStore } from './ApiKeyStore';
import {
  BoundApiKey,
  catalogApiKeys,
  configurationApiKeys,
  mergeApiKeys,
  UnvouchedApiKey,
  unvouchedApiKey,
} from '@cellport/plugin-platform-node';

/** Where the portal reveals a sealed key (the platform plugin's page). */
const REVEAL_PATH = '/api-keys/reveal';
/** Enough of a key's hash to tell two keys with one prefix apart, too little to matter. */
const FINGERPRINT_LENGTH = 8;

export interface ApiKeyServiceOptions {
  catalog: PlatformCatalog;
  store: ApiKeyStore;
  reveals: ApiKeyRevealStore;
  reconciler: ReconcilerService;
  clock: Clock;
  /** How long a rotated-out key keeps working, so its callers can switch over. */
  rotationGraceMs: number;
  /** `platform.reconciler.apiKeys`: listed, never rotated (the gateway serves them as configured). */
  configured: BoundApiKey[];
}

/**
 * Issues, lists and rotates the API keys of tenants and agents. A key the scaffolder makes is
 * recorded as issued to its tenant and agent as it is sealed, and only so recorded does its
 * catalog annotation serve. The list is the catalog's annotations merged with the keys the
 * portal minted, an annotation the portal did not issue shown with why it is not served. A
 * rotation seals a new key for the rotating user, leaves the old one valid until the grace
 * period ends, and tells the cell's gateway at once.
 */
export class ApiKeyService {
  /**
   * `platform.apiKeys.rotationGraceHours`: how long a rotated-out key keeps working;
   * `platform.reconciler.apiKeys`: the configuration's keys.
   */
  static fromConfig(
    config: Config,
    deps: Omit<ApiKeyServiceOptions, 'rotationGraceMs' | 'configured'>,
  ): ApiKeyService {
    const { apiKeys, reconciler } = readPlatformSettings(config);
    return new ApiKeyService({
      ...deps,
      rotationGraceMs: apiKeys.rotationGraceHours * 3600_000,
      configured: configurationApiKeys(reconciler.apiKeys),
    });
  }

  constructor(private readonly options: ApiKeyServiceOptions) {}

  /**
   * Seals a new key for its one reveal (`ApiKeyRevealStore`) and records it as issued to its
   * tenant and agent. The hash is computed here from the key, so a caller cannot vouch for a
   * hash it does not hold the key of. Recorded first: a failed seal leaves a record of a key
   * nobody has, never a key that cannot serve.
   */
  async issue(
    key: SealedApiKey,
  ): Promise<{ token: string; expiresAt: string; prefix: string }> {
    await this.options.store.recordIssue({
      sha256: hashApiKey(key.apiKey),
      prefix: key.apiKey.slice(0, API_KEY_PREFIX_LENGTH),
      tenant: entityRefName(key.tenant),
      ...(key.agent ? { agent: entityRefName(key.agent) } : {}),
      ...(key.forUser ? { issuedBy: key.forUser } : {}),
    });
    return this.options.reveals.seal(key);
  }

  async list(filter: {
    tenant?: string;
    agent?: string;
  }): Promise<ApiKeySummary[]> {
    const { served, refused } = await this.keys({ fresh: false });
    const matches = (key: BoundApiKey) =>
      filter.agent !== undefined
        ? key.agent === filter.agent
        : key.tenant === filter.tenant;
    return [
      ...served.filter(matches).map(key => toSummary(key)),
      ...refused
        .filter(({ key }) => matches(key))
        .map(({ key, why }) => toSummary(key, why)),
    ];
  }

  /** The tenant an agent belongs to, by the catalog; undefined for an unknown agent. */
  async tenantOfAgent(agent: string): Promise<string | undefined> {
    const { agents } = await this.options.catalog.entities();
    const found = agents.find(a => a.metadata.name === agent);
    return found && entityRefName(found.spec.tenant);
  }

  async rotate(request: {
    tenant: string;
    prefix: string;
    userRef: string;
  }): Promise<RotatedApiKey> {
    const { store, reveals, clock } = this.options;
    const { key: old, serves } = await this.keyToRotate(request);
    const minted = mintApiKey();
    const sealed = await reveals.seal({
      apiKey: minted.apiKey,
      tenant: `tenant:default/${old.tenant}`,
      ...(old.agent ? { agent: `agent:default/${old.agent}` } : {}),
      forUser: request.userRef,
    });
    // A key that never served gets no grace: it ends now, as the answer says.
    const expiresAt = clock.now() + (serves ? this.options.rotationGraceMs : 0);
    try {
      await store.rotate({
        old,
        successor: { sha256: minted.sha256, prefix: minted.prefix },
        rotatedBy: request.userRef,
        expiresAt,
      });
    } catch (error) {
      // The key never reached a gateway: nobody must be able to reveal it.
      await reveals.discard(sealed.token);
      throw error;
    }
    return {
      prefix: minted.prefix,
      revealUrl: `${REVEAL_PATH}/${sealed.token}`,
      revealExpiresAt: sealed.expiresAt,
      replaced: {
        prefix: old.prefix,
        expiresAt: new Date(expiresAt).toISOString(),
      },
      gatewaySynced: await this.pushNow(old.tenant),
    };
  }

  /**
   * The key a rotation ends, by tenant and prefix, and whether a gateway serves it. A key the
   * portal never issued may be rotated too: its successor is revealed only to the tenant's
   * owner rotating it, so it is how an owner gets a working key in its place. Not when its
   * hash serves otherwise: issued to another tenant or agent (rotating it would end that
   * owner's key), or a configuration key, which the gateway serves as configured whatever the
   * portal records, so a rotation would promise an end that never comes.
   */
  private async keyToRotate(request: {
    tenant: string;
    prefix: string;
  }): Promise<{ key: BoundApiKey; serves: boolean }> {
    // Fresh: the key may have been registered a moment ago.
    const { served, refused } = await this.keys({ fresh: true });
    const requested = (key: BoundApiKey) =>
      key.tenant === request.tenant && key.prefix === request.prefix;
    const servedHashes = new Set(served.map(key => key.sha256));
    const configured = new Set(this.options.configured.map(key => key.sha256));
    const unissued = refused
      .filter(r => r.why === 'not-issued')
      .map(r => r.key);
    if (
      [...served, ...unissued].some(
        k => requested(k) && configured.has(k.sha256),
      )
    ) {
      throw new ConflictError(
        `${request.prefix} is a configuration key: remove it from platform.reconciler.apiKeys (the gateway serves it as configured; the portal cannot rotate it)`,
      );
    }
    const candidates = [
      ...served.filter(requested).map(key => ({ key, serves: true })),
      ...unissued
        .filter(key => requested(key) && !servedHashes.has(key.sha256))
        .map(key => ({ key, serves: false })),
    ];
    const found = candidates.find(c => !c.key.expiresAt) ?? candidates[0];
    if (!found) {
      throw new NotFoundError(
        `Tenant "${request.tenant}" has no API key with prefix ${request.prefix}`,
      );
    }
    if (found.key.expiresAt) {
      throw new ConflictError(
        `API key ${found.key.prefix}… was already rotated out; it works until ${found.key.expiresAt}`,
      );
    }
    return found;
  }

  /**
   * Pushes the tenant's cell so the new key works now; whether the gateway has it. The
   * rotation is done either way (the reconciler pushes it on its next round): a catalog or
   * gateway that fails here must not cost the caller the new key's reveal link.
   */
  private async pushNow(tenant: string): Promise<boolean> {
    try {
      const gateway = await this.options.reconciler.tenantGateway(tenant);
      if (!gateway) return false;
      const status = await this.options.reconciler.reconcileCell(gateway.cell);
      return status.inSync;
    } catch {
      return false;
    }
  }

  /** The keys that serve, and the catalog's annotations that do not, with why. */
  private async keys(options: { fresh: boolean }): Promise<{
    served: BoundApiKey[];
    refused: { key: BoundApiKey; why: UnvouchedApiKey }[];
  }> {
    const entities = await this.options.catalog.entities(options);
    const annotated = catalogApiKeys(entities).keys;
    const managed = await this.options.store.managed(() => annotated);
    const refused = annotated.flatMap(key => {
      const why = unvouchedApiKey(key, managed.issued);
      return why ? [{ key, why }] : [];
    });
    // A hash both annotated and configured is one key, listed once: as configured, which is
    // how the gateway serves it and why rotate refuses it.
    const configured = new Set(this.options.configured.map(key => key.sha256));
    return {
      served: [
        ...mergeApiKeys(annotated, managed).filter(
          key => !configured.has(key.sha256),
        ),
        ...this.options.configured,
      ],
      refused,
    };
  }
}

function toSummary(
  key: BoundApiKey,
  notServed?: UnvouchedApiKey,
): ApiKeySummary {
  return {
    prefix: key.prefix,
    fingerprint: key.sha256.slice(0, FINGERPRINT_LENGTH),
    tenant: `tenant:default/${key.tenant}`,
    ...(key.agent ? { agent: `agent:default/${key.agent}` } : {}),
    source: key.source,
    ...(key.createdAt ? { createdAt: key.createdAt } : {}),
    ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
    ...(notServed ? { notServed } : {}),
  };
}
