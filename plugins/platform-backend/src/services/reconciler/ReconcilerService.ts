import type {
  CellGatewayStatus,
  CellRuntimeStatus,
  TenantGateway,
} from '@cellport/plugin-platform-common';
import type { CellGatewayLocator } from '@cellport/plugin-platform-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import {
  CellEntity,
  entityRefName,
  formatValidationIssues,
  GatewayApiKey,
  gatewayDesiredStateSchema,
  hostedTenants,
  toValidationIssues,
} from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import { ApiKeyStore } from '../keys/ApiKeyStore';
import {
  catalogApiKeys,
  Clock,
  computeDesiredState,
  PlatformCatalog,
  PlatformEntities,
} from '@cellport/plugin-platform-node';
import { readPlatformSettings } from '../../config/platformSettings';
import { ReplicaLock } from './ReplicaLock';
import { GatewayClient } from './GatewayClient';

const TABLE = 'platform_cell_runtime';

/** The catalog's platform entities, and the instant before they were read. */
interface CatalogView {
  entities: PlatformEntities;
  readAt: number;
}

/** Where a cell's gateway answers and the token its control API wants. */
export interface GatewayTarget {
  baseUrl?: string;
  adminToken?: string;
}

export interface ReconcilerOptions {
  /** Key hashes provisioned outside the catalog, pushed to the cells of their tenants. */
  extraApiKeys?: GatewayApiKey[];
  /**
   * Keys the portal issued, minted and rotated out (the platform database), merged with the
   * catalog's: only an issued key's annotation serves.
   */
  apiKeys: ApiKeyStore;
  db: Knex;
  catalog: PlatformCatalog;
  client: GatewayClient;
  clock: Clock;
  logger: LoggerService;
  /** Per-cell overrides of the gateway URL and token (config), over the Cell's spec.gateway. */
  gateways: Record<string, GatewayTarget>;
  /** Gateways of cells that neither config nor the catalog locate (the local runtime). */
  locator?: CellGatewayLocator;
  defaultAdminToken?: string;
  /** Wait after the first failure; doubles per failure up to `maxBackoffMs`. */
  initialBackoffMs: number;
  /** The longest wait for another replica's reconcile of a cell (default 30 s). */
  replicaWaitMs?: number;
  maxBackoffMs: number;
}

function iso(value: unknown): string | undefined {
  return value === null || value === undefined
    ? undefined
    : new Date(Number(value)).toISOString();
}

/**
 * Drives every cell gateway to the desired state computed from the catalog: reads the
 * gateway's version, pushes the whole state when it differs, and records the outcome per
 * cell. A failing gateway is retried with exponential backoff instead of on every tick.
 */
export class ReconcilerService {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly replicas: ReplicaLock;

  /** `platform.reconciler`: where the gateways answer, their tokens, timeouts and backoff. */
  static fromConfig(
    config: Config,
    deps: Pick<
      ReconcilerOptions,
      'db' | 'catalog' | 'apiKeys' | 'clock' | 'logger' | 'locator'
    >,
  ): ReconcilerService {
    const settings = readPlatformSettings(config).reconciler;
    return new ReconcilerService({
      ...deps,
      extraApiKeys: settings.apiKeys,
      client: new GatewayClient(settings.requestTimeoutSeconds * 1000),
      gateways: settings.gateways,
      defaultAdminToken: settings.adminToken,
      initialBackoffMs: settings.initialBackoffSeconds * 1000,
      maxBackoffMs: settings.maxBackoffSeconds * 1000,
      // A reconcile makes two calls to its gateway, each up to the request timeout.
      replicaWaitMs: (2 * settings.requestTimeoutSeconds + 5) * 1000,
    });
  }

  constructor(private readonly options: ReconcilerOptions) {
    this.replicas = new ReplicaLock(
      options.db,
      options.replicaWaitMs ?? 30_000,
    );
    // A gateway the local runtime just started gets its state now, not at the next pass.
    options.locator?.onRunning(cell => {
      this.reconcileCell(cell).catch(error =>
        options.logger.warn(
          `Cell ${cell}: push after gateway start failed: ${error}`,
        ),
      );
    });
  }

  /** One pass over every cell. Failures are recorded per cell, never thrown. */
  async reconcileAll(): Promise<void> {
    const view = await this.readCatalog();
    for (const cell of view.entities.cells) {
      await this.reconcile(cell, view, false);
    }
  }

  /** Reconciles one cell now, ignoring its backoff. */
  async reconcileCell(name: string): Promise<CellRuntimeStatus> {
    const view = await this.readCatalog();
    const cell = view.entities.cells.find(
      c => c.metadata.name === entityRefName(name),
    );
    if (!cell)
      throw new NotFoundError(`No cell named "${name}" in the catalog`);
    const { source } = this.targetOf(cell).status;
    if (source === 'local-runtime' || source === 'none') {
      this.options.locator?.request(cell.metadata.name);
    }
    await this.reconcile(cell, view, true);
    const runtime = await this.runtime(cell.metadata.name);
    // Gone from the catalog another replica read meanwhile.
    if (!runtime)
      throw new NotFoundError(`No cell named "${name}" in the catalog`);
    return runtime;
  }

  /** Where a cell's gateway comes from and whether it answers. */
  async gatewayStatus(name: string): Promise<CellGatewayStatus> {
    const { cells } = await this.options.catalog.entities();
    const cell = cells.find(c => c.metadata.name === entityRefName(name));
    return cell ? this.targetOf(cell).status : gatewayNotConfigured();
  }

  /** The gateway of the cell that hosts `tenant`, as the reconciler pushes to it. */
  async tenantGateway(tenant: string): Promise<TenantGateway | undefined> {
    // Fresh: a key is revealed right after its tenant (and maybe its cell) registered.
    const entities = await this.options.catalog.entities({ fresh: true });
    const cell = entities.cells.find(c =>
      hostedTenants(c, entities.tenants).includes(entityRefName(tenant)),
    );
    if (!cell) return undefined;
    const target = this.targetOf(cell);
    const url =
      target.baseUrl ??
      this.options.locator?.locate(cell.metadata.name)?.baseUrl;
    return {
      cell: cell.metadata.name,
      ...(url ? { url } : {}),
      status: target.status,
    };
  }

  async runtime(name: string): Promise<CellRuntimeStatus | undefined> {
    const row = await this.options
      .db(TABLE)
      .where('cell', entityRefName(name))
      .first();
    if (!row) return undefined;
    const state = row.desired_state ? JSON.parse(row.desired_state) : undefined;
    return {
      cell: row.cell,
      seen: true,
      gatewayUrl: row.gateway_url ?? undefined,
      gateway: withPushOutcome(await this.gatewayStatus(row.cell), row),
      desiredVersion: row.desired_version ?? undefined,
      pushedVersion: row.pushed_version ?? undefined,
      remoteVersion: row.remote_version ?? undefined,
      inSync:
        !!row.desired_version && row.remote_version === row.desired_version,
      drift: Boolean(row.drift),
      lastDriftAt: iso(row.last_drift_at),
      lastAttemptAt: iso(row.last_attempt_at),
      lastSuccessAt: iso(row.last_success_at),
      lastError: row.last_error ?? undefined,
      lastErrorAt: iso(row.last_error_at),
      consecutiveFailures: Number(row.consecutive_failures),
      nextAttemptAt: iso(row.next_attempt_at),
      desired: state && {
        tenants: state.tenants.length,
        apiKeys: state.apiKeys.length,
        modelProfiles: state.modelProfiles.length,
        agents: state.agents.length,
      },
    };
  }

  /**
   * One cell at a time, in this process and across replicas: a push computed before a key
   * rotation must not land after the push that carries the rotation (the new key would stop
   * working until the next pass), so a reconcile of a cell waits for the one in flight and
   * then computes its state afresh.
   */
  private reconcile(
    cell: CellEntity,
    view: CatalogView,
    force: boolean,
  ): Promise<void> {
    const name = cell.metadata.name;
    const run = (this.inFlight.get(name) ?? Promise.resolve()).then(() =>
      this.replicas.run(name, () => this.reconcileNow(cell, view, force)),
    );
    const settled = run.catch(() => undefined);
    this.inFlight.set(name, settled);
    settled.then(() => {
      if (this.inFlight.get(name) === settled) this.inFlight.delete(name);
    });
    return run;
  }

  private async reconcileNow(
    cellRead: CellEntity,
    viewRead: CatalogView,
    force: boolean,
  ) {
    const { db, clock, client, logger } = this.options;
    const name = cellRead.metadata.name;
    const previous = await db(TABLE).where('cell', name).first();
    let cell: CellEntity | undefined = cellRead;
    let view = viewRead;
    if (Number(previous?.catalog_read_at ?? 0) >= view.readAt) {
      // A replica pushed from a catalog view as new or newer while this one waited: pushing
      // this one could bring back what the catalog has since changed (a budget, an agent).
      view = await this.readCatalog();
      cell = view.entities.cells.find(c => c.metadata.name === name);
      if (!cell) return;
    }
    const { entities } = view;
    const now = clock.now();
    const { state, warnings } = computeDesiredState(cell, entities, {
      extraApiKeys: this.options.extraApiKeys,
      managedApiKeys: await this.options.apiKeys.managed(
        () => catalogApiKeys(entities).keys,
      ),
      now,
    });
    for (const warning of warnings) logger.warn(`Cell ${name}: ${warning}`);
    const target = this.targetOf(cell);
    await this.record(name, {
      gateway_url: target.baseUrl ?? null,
      desired_version: state.version,
      desired_state: JSON.stringify(state),
    });
    // Before the push, which may reach the gateway and still fail (its answer timed out): a
    // replica with an older view must read the catalog again all the same.
    await db(TABLE)
      .where('cell', name)
      .update({
        catalog_read_at: this.replicas.atLeast('catalog_read_at', view.readAt),
      });

    if (target.status.state === 'starting') return;
    if (!target.baseUrl || !target.adminToken) {
      await this.record(name, {
        last_error: target.baseUrl
          ? 'No admin token for the gateway (platform.reconciler.adminToken)'
          : target.status.detail,
        last_error_at: now,
      });
      return;
    }
    if (
      !force &&
      previous?.next_attempt_at &&
      Number(previous.next_attempt_at) > now
    ) {
      return;
    }

    try {
      const valid = gatewayDesiredStateSchema.safeParse(state);
      if (!valid.success) {
        throw new Error(
          `Desired state is invalid: ${formatValidationIssues(
            toValidationIssues(valid.error),
          )}`,
        );
      }
      const remote = await client.currentVersion(
        target.baseUrl,
        target.adminToken,
      );
      const pushed: string | null = previous?.pushed_version ?? null;
      const drift = pushed !== null && remote !== pushed;
      if (drift) {
        logger.warn(
          `Cell ${name}: gateway runs ${
            remote ?? 'no state'
          }, last pushed ${pushed}`,
        );
      }
      if (remote !== state.version) {
        await client.push(target.baseUrl, target.adminToken, state);
        logger.info(`Cell ${name}: pushed gateway state ${state.version}`);
      }
      await this.record(name, {
        pushed_version: state.version,
        remote_version: state.version,
        drift,
        ...(drift ? { last_drift_at: now } : {}),
        last_attempt_at: now,
        last_success_at: now,
        consecutive_failures: 0,
        next_attempt_at: null,
      });
    } catch (error) {
      const failures = Number(previous?.consecutive_failures ?? 0) + 1;
      const wait = Math.min(
        this.options.initialBackoffMs * 2 ** (failures - 1),
        this.options.maxBackoffMs,
      );
      const message = (error as Error).message;
      logger.warn(
        `Cell ${name}: reconcile failed (${failures} in a row): ${message}`,
      );
      await this.record(name, {
        last_attempt_at: now,
        last_error: message.slice(0, 2000),
        last_error_at: now,
        consecutive_failures: failures,
        next_attempt_at: now + wait,
      });
    }
  }

  private async readCatalog(): Promise<CatalogView> {
    const readAt = await this.replicas.now(() => this.options.clock.now());
    return {
      entities: await this.options.catalog.entities({ fresh: true }),
      readAt,
    };
  }

  private targetOf(
    cell: CellEntity,
  ): GatewayTarget & { status: CellGatewayStatus } {
    const name = cell.metadata.name;
    const adminToken =
      this.options.gateways[name]?.adminToken ?? this.options.defaultAdminToken;
    const configured = this.options.gateways[name]?.baseUrl;
    if (configured) {
      return {
        baseUrl: configured,
        adminToken,
        status: { source: 'config', state: 'running' },
      };
    }
    if (cell.spec.gateway?.baseUrl) {
      return {
        baseUrl: cell.spec.gateway.baseUrl,
        adminToken,
        status: { source: 'catalog', state: 'running' },
      };
    }
    const located = this.options.locator?.locate(name);
    if (!located) return { status: gatewayNotConfigured() };
    return {
      baseUrl: located.state === 'running' ? located.baseUrl : undefined,
      adminToken: located.adminToken ?? adminToken,
      status: {
        source: 'local-runtime',
        state: located.state,
        ...(located.detail ? { detail: located.detail } : {}),
      },
    };
  }

  private async record(cell: string, values: Record<string, unknown>) {
    await this.options
      .db(TABLE)
      .insert({ cell, ...values })
      .onConflict('cell')
      .merge(Object.keys(values));
  }
}

function gatewayNotConfigured(): CellGatewayStatus {
  return {
    source: 'none',
    state: 'not-configured',
    detail:
      "No gateway URL: set the Cell's spec.gateway.baseUrl or platform.reconciler.gateways, or apply the cell's manifests from its Deploy card and name the gateway it creates",
  };
}

/** A configured gateway the reconciler cannot push to is failing, with the push's error. */
function withPushOutcome(
  status: CellGatewayStatus,
  row: { consecutive_failures?: unknown; last_error?: string | null },
): CellGatewayStatus {
  if (status.state !== 'running' || !Number(row.consecutive_failures)) {
    return status;
  }
  return {
    ...status,
    state: 'failing',
    detail: row.last_error ?? undefined,
  };
}
