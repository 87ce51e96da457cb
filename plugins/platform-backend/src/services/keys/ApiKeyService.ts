import { Config } from '@backstage/config';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  ApiKeySummary,
  RotatedApiKey,
} from '@cellport/plugin-platform-common';
import { mintApiKey } from '@cellport/plugin-platform-node';
import { readPlatformSettings } from '../../config/platformSettings';
import { PlatformCatalog, refName } from '../catalog/PlatformCatalog';
import { Clock } from '../clock';
import { ReconcilerService } from '../reconciler/ReconcilerService';
import { ApiKeyRevealStore } from './ApiKeyRevealStore';
import { ApiKeyStore } from './ApiKeyStore';
import {
  BoundApiKey,
  catalogApiKeys,
  mergeApiKeys,
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
}

/**
 * Lists the API keys of tenants and agents (the catalog's annotations merged with the keys
 * the portal minted) and rotates them: a new key sealed for the rotating user, the old one
 * valid until the grace period ends, the cell's gateway told at once.
 */
export class ApiKeyService {
  /** `platform.apiKeys.rotationGraceHours`: how long a rotated-out key keeps working. */
  static fromConfig(
    config: Config,
    deps: Omit<ApiKeyServiceOptions, 'rotationGraceMs'>,
  ): ApiKeyService {
    const { rotationGraceHours } = readPlatformSettings(config).apiKeys;
    return new ApiKeyService({
      ...deps,
      rotationGraceMs: rotationGraceHours * 3600_000,
    });
  }

  constructor(private readonly options: ApiKeyServiceOptions) {}

  async list(filter: {
    tenant?: string;
    agent?: string;
  }): Promise<ApiKeySummary[]> {
    const keys = await this.keys({ fresh: false });
    return keys
      .filter(key =>
        filter.agent !== undefined
          ? key.agent === filter.agent
          : key.tenant === filter.tenant,
      )
      .map(toSummary);
  }

  /** The tenant an agent belongs to, by the catalog; undefined for an unknown agent. */
  async tenantOfAgent(agent: string): Promise<string | undefined> {
    const { agents } = await this.options.catalog.entities();
    const found = agents.find(a => a.metadata.name === agent);
    return found && refName(found.spec.tenant);
  }

  async rotate(request: {
    tenant: string;
    prefix: string;
    userRef: string;
  }): Promise<RotatedApiKey> {
    const { store, reveals, clock } = this.options;
    // Fresh: the key may have been registered a moment ago.
    const matches = (await this.keys({ fresh: true })).filter(
      key => key.tenant === request.tenant && key.prefix === request.prefix,
    );
    const old = matches.find(key => !key.expiresAt) ?? matches[0];
    if (!old) {
      throw new NotFoundError(
        `Tenant "${request.tenant}" has no API key with prefix ${request.prefix}`,
      );
    }
    if (old.expiresAt) {
      throw new ConflictError(
        `API key ${old.prefix}… was already rotated out; it works until ${old.expiresAt}`,
      );
    }
    const minted = mintApiKey();
    const sealed = await reveals.seal({
      apiKey: minted.apiKey,
      tenant: `tenant:default/${old.tenant}`,
      ...(old.agent ? { agent: `agent:default/${old.agent}` } : {}),
      forUser: request.userRef,
    });
    const expiresAt = clock.now() + this.options.rotationGraceMs;
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

  /** Pushes the tenant's cell so the new key works now; whether the gateway has it. */
  private async pushNow(tenant: string): Promise<boolean> {
    const gateway = await this.options.reconciler.tenantGateway(tenant);
    if (!gateway) return false;
    const status = await this.options.reconciler.reconcileCell(gateway.cell);
    return status.inSync;
  }

  private async keys(options: { fresh: boolean }): Promise<BoundApiKey[]> {
    const [entities, managed] = await Promise.all([
      this.options.catalog.entities(options),
      this.options.store.managed(),
    ]);
    return mergeApiKeys(catalogApiKeys(entities).keys, managed);
  }
}

function toSummary(key: BoundApiKey): ApiKeySummary {
  return {
    prefix: key.prefix,
    fingerprint: key.sha256.slice(0, FINGERPRINT_LENGTH),
    tenant: `tenant:default/${key.tenant}`,
    ...(key.agent ? { agent: `agent:default/${key.agent}` } : {}),
    source: key.source,
    ...(key.createdAt ? { createdAt: key.createdAt } : {}),
    ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
  };
}
