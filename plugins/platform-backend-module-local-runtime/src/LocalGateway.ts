import { ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { LocatedGateway } from '@cellport/plugin-platform-node';

/** What a local gateway process is started with. */
export interface LocalGatewaySettings {
  cell: string;
  port: number;
  adminToken: string;
  /** Every upstream call goes here (the simulator). */
  upstreamOrigin: string;
  /** The portal's base URL and token for the gateway's events; events are off without. */
  eventsUrl?: string;
  eventsToken?: string;
  spoolDir: string;
  /** How long the process has to answer `/health` before it counts as failing. */
  startTimeoutMs: number;
}

/** The last lines a gateway wrote before it failed: enough to say why, not a log. */
const KEPT_OUTPUT_LINES = 5;
const HEALTH_POLL_MS = 200;

/** The gateway package's entry point, run as TypeScript through Backstage's loader. */
function gatewayCommand(): string[] {
  const gatewayDir = dirname(require.resolve('@cellport/gateway/package.json'));
  return [
    '--require',
    require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
    join(gatewayDir, 'src', 'index.ts'),
  ];
}

/**
 * One cell's gateway as a child process of the portal: started, watched until `/health`
 * answers, and stopped with SIGTERM (the gateway drains and flushes its events) then SIGKILL.
 * A gateway found answering on its port with this portal's admin token (left running by a
 * portal that was killed) is adopted instead of started twice.
 */
export class LocalGateway {
  private child?: ChildProcess;
  private state: LocatedGateway['state'] = 'starting';
  private detail?: string;
  private output: string[] = [];
  private stopped = false;

  constructor(
    readonly settings: LocalGatewaySettings,
    private readonly onChange: (gateway: LocalGateway) => void,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.settings.port}`;
  }

  location(): LocatedGateway {
    return {
      state: this.state,
      baseUrl: this.baseUrl,
      adminToken: this.settings.adminToken,
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }

  /** True when the gateway exited (or never came up) and is not being stopped. */
  get failed(): boolean {
    return this.state === 'failing';
  }

  /** Adopts a gateway already answering on the port, or starts one. */
  async start(): Promise<void> {
    if (await this.answersAsOurs()) {
      this.set('running');
      return;
    }
    // Stopped while it looked for a gateway to adopt: start nothing.
    if (this.stopped) return;
    const { settings } = this;
    const child = spawn(process.execPath, gatewayCommand(), {
      env: {
        ...process.env,
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: String(settings.port),
        GATEWAY_ID: `${settings.cell}-local`,
        GATEWAY_ADMIN_TOKEN: settings.adminToken,
        GATEWAY_UPSTREAM_ORIGIN_OVERRIDE: settings.upstreamOrigin,
        GATEWAY_SPOOL_DIR: join(settings.spoolDir, settings.cell),
        ...(settings.eventsUrl
          ? {
              GATEWAY_EVENTS_URL: settings.eventsUrl,
              GATEWAY_EVENTS_TOKEN: settings.eventsToken ?? '',
            }
          : { GATEWAY_EVENTS: 'off' }),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      const lines = chunk.toString('utf8').split('\n').filter(Boolean);
      this.output = [...this.output, ...lines].slice(-KEPT_OUTPUT_LINES);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', error =>
      this.markFailed(`could not start: ${error.message}`),
    );
    child.once('exit', (code, signal) => {
      if (this.stopped) return;
      this.markFailed(
        `exited (${signal ?? `code ${code}`})${
          this.output.length ? `: ${this.output.join(' | ')}` : ''
        }`,
      );
    });
    await this.waitUntilHealthy();
  }

  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>(resolve =>
      child.once('exit', () => resolve()),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** The pid of the process this portal started, if it started one. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + this.settings.startTimeoutMs;
    while (!this.stopped && this.state === 'starting') {
      if (await this.healthy()) {
        this.set('running');
        return;
      }
      if (Date.now() > deadline) {
        this.markFailed(
          `did not answer ${this.baseUrl}/health within ${this.settings.startTimeoutMs} ms`,
        );
        await this.stop(0);
        this.stopped = false;
        return;
      }
      await new Promise(resolve => setTimeout(resolve, HEALTH_POLL_MS));
    }
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/health`, {
        signal: AbortSignal.timeout(1_000),
      });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** A gateway on this port whose control API takes this portal's admin token. */
  private async answersAsOurs(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/control/state`, {
        headers: { Authorization: `Bearer ${this.settings.adminToken}` },
        signal: AbortSignal.timeout(1_000),
      });
      const body = (await response.json()) as {
        cell?: string;
        error?: { code?: string };
      };
      // A gateway with this cell's state, or one with no state yet (the push follows).
      return response.status === 200
        ? body.cell === this.settings.cell
        : response.status === 404 && body.error?.code === 'no_state';
    } catch {
      return false;
    }
  }

  /** Records why the gateway cannot serve; the fleet restarts it later. */
  markFailed(detail: string) {
    this.detail = detail;
    this.set('failing');
  }

  private set(state: LocatedGateway['state']) {
    if (state !== 'failing') this.detail = undefined;
    this.state = state;
    this.onChange(this);
  }
}
