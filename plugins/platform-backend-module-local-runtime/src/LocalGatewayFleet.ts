import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  CellGatewayLocator,
  LocatedGateway,
} from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LocalGateway, LocalGatewaySettings } from './LocalGateway';

export interface LocalGatewayFleetOptions
  extends Omit<LocalGatewaySettings, 'cell' | 'port'> {
  logger: LoggerService;
  /** Where each cell's port is remembered, so a cell keeps its URL across portal restarts. */
  stateDir: string;
  /** Ports fixed by config (the demo cells'); other cells get the next free one from `firstPort`. */
  ports: Record<string, number>;
  firstPort: number;
  /** Wait before the first restart of a failed gateway; doubles per failure up to `maxRestartDelayMs`. */
  restartDelayMs: number;
  maxRestartDelayMs: number;
}

const REQUEST_GRACE_MS = 60_000;

interface Member {
  gateway: LocalGateway;
  failures: number;
  restartAt?: number;
}

/**
 * The embedded default's stand-in for applying a cell: one local gateway process per cell
 * that needs one. `sync` starts the gateways of new cells, restarts failed ones with backoff
 * (on another port when theirs is taken) and stops those of cells that left the catalog.
 */
export class LocalGatewayFleet implements CellGatewayLocator {
  private readonly members = new Map<string, Member>();
  /** Cells whose port is being chosen; their member exists once the process is spawned. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly requestedAt = new Map<string, number>();
  private closed = false;
  private readonly listeners: Array<(cell: string) => void> = [];
  private readonly assigned: Record<string, number>;

  constructor(private readonly options: LocalGatewayFleetOptions) {
    this.assigned = { ...this.readPorts(), ...options.ports };
  }

  locate(cell: string): LocatedGateway | undefined {
    if (this.pending.has(cell) && !this.members.has(cell)) {
      return { state: 'starting', detail: 'choosing a port' };
    }
    return this.members.get(cell)?.gateway.location();
  }

  /** A cell registered since the last sync (its template waits for its gateway) starts now. */
  request(cell: string): void {
    this.requestedAt.set(cell, Date.now());
    this.ensure(cell);
  }

  onRunning(listener: (cell: string) => void): void {
    this.listeners.push(listener);
  }

  /** Makes the gateways those of `cells`: starts, restarts and stops processes as needed. */
  async sync(cells: string[]): Promise<void> {
    const wanted = new Set(cells);
    const stops = [...this.members.keys()]
      .filter(cell => !wanted.has(cell) && !this.recentlyRequested(cell))
      .map(cell => this.remove(cell));
    cells.forEach(cell => this.ensure(cell));
    await Promise.all([...stops, ...this.pending.values()]);
  }

  /**
   * A cell requested by the reconciler is in the catalog, even if the last read of the
   * catalog here predates it: its gateway is not stopped for a while.
   */
  private recentlyRequested(cell: string): boolean {
    const at = this.requestedAt.get(cell);
    return at !== undefined && Date.now() - at < REQUEST_GRACE_MS;
  }

  /** Stops every gateway; nothing starts afterwards (the portal is shutting down). */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all(this.pending.values());
    await Promise.all([...this.members.keys()].map(cell => this.remove(cell)));
  }

  /** Starts the cell's gateway unless it runs, is starting, or waits for its restart. */
  private ensure(cell: string): void {
    const member = this.members.get(cell);
    if (this.closed || this.pending.has(cell)) return;
    if (member && !member.gateway.failed) return;
    if (member && Date.now() < (member.restartAt ?? 0)) return;
    const launch = this.launch(cell, member).finally(() =>
      this.pending.delete(cell),
    );
    this.pending.set(cell, launch);
  }

  private async launch(cell: string, member: Member | undefined) {
    const addressTaken =
      member?.gateway.location().detail?.includes('EADDRINUSE') ?? false;
    const port = await this.portFor(cell, addressTaken);
    const gateway = new LocalGateway({ ...this.options, cell, port }, changed =>
      this.changed(cell, changed),
    );
    this.members.set(cell, { gateway, failures: member?.failures ?? 0 });
    this.options.logger.info(
      `${
        member ? 'Restarting' : 'Starting'
      } the local gateway of cell ${cell} on ${gateway.baseUrl}`,
    );
    // Not awaited: one slow start must not hold back the other cells.
    gateway.start().catch(error => gateway.markFailed(String(error)));
  }

  private changed(cell: string, gateway: LocalGateway) {
    const member = this.members.get(cell);
    if (!member || member.gateway !== gateway) return;
    const { state, detail } = gateway.location();
    if (state === 'running') {
      member.failures = 0;
      for (const listener of this.listeners) listener(cell);
    } else if (state === 'failing') {
      member.failures += 1;
      member.restartAt =
        Date.now() +
        Math.min(
          this.options.restartDelayMs * 2 ** (member.failures - 1),
          this.options.maxRestartDelayMs,
        );
      this.options.logger.warn(
        `The local gateway of cell ${cell} is failing (${member.failures} in a row): ${detail}`,
      );
    }
  }

  private async remove(cell: string): Promise<void> {
    const member = this.members.get(cell);
    if (!member) return;
    this.members.delete(cell);
    this.options.logger.info(`Stopping the local gateway of cell ${cell}`);
    await member.gateway.stop();
  }

  /** The cell's remembered port, or the next one free; a new one when its own is taken. */
  private async portFor(cell: string, ownTaken: boolean): Promise<number> {
    const current = this.assigned[cell];
    if (current !== undefined && !ownTaken) return current;
    const used = new Set(Object.values(this.assigned));
    let port = this.options.firstPort;
    while (used.has(port) || !(await portFree(port))) port += 1;
    this.assigned[cell] = port;
    this.writePorts();
    return port;
  }

  private get portsFile(): string {
    return path.join(this.options.stateDir, 'ports.json');
  }

  private readPorts(): Record<string, number> {
    try {
      return JSON.parse(fs.readFileSync(this.portsFile, 'utf8'));
    } catch {
      return {};
    }
  }

  private writePorts() {
    fs.mkdirSync(this.options.stateDir, { recursive: true });
    fs.writeFileSync(
      this.portsFile,
      `${JSON.stringify(this.assigned, null, 2)}\n`,
    );
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
