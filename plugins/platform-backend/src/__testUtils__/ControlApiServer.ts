import {
  GatewayDesiredState,
  gatewayDesiredStateSchema,
} from '@cellport/plugin-platform-common';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A real HTTP server implementing the gateway's control API contract (runtime/gateway):
 * `PUT /control/state` with a bearer admin token and a GatewayDesiredState body, validated
 * whole; `GET /control/state/version` answering `{version}` (and `GET /control/state` the
 * document), or 404 before the first push. It
 * records every request and can be told to fail the next ones, or to forget its state as a
 * restarted gateway would.
 */
export class ControlApiServer {
  readonly requests: Array<{
    method: string;
    authorization?: string;
    body?: unknown;
  }> = [];
  readonly pushes: GatewayDesiredState[] = [];
  state?: GatewayDesiredState;
  private failures: number[] = [];
  private server?: Server;

  constructor(readonly adminToken: string) {}

  get baseUrl(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The next requests answer these statuses, one each, before the server recovers. */
  failNext(...statuses: number[]) {
    this.failures.push(...statuses);
  }

  forgetState() {
    this.state = undefined;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      readBody(req).then(text => {
        const body = text ? JSON.parse(text) : undefined;
        this.requests.push({
          method: req.method!,
          authorization: req.headers.authorization,
          body,
        });
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        const path = req.url;
        if (path !== '/control/state' && path !== '/control/state/version')
          return reply(404, { error: 'not found' });
        if (req.headers.authorization !== `Bearer ${this.adminToken}`) {
          return reply(401, { error: 'unauthorized' });
        }
        const failure = this.failures.shift();
        if (failure) return reply(failure, { error: 'induced failure' });
        if (req.method === 'GET') {
          if (!this.state) return reply(404, { error: 'no state yet' });
          return path === '/control/state'
            ? reply(200, this.state)
            : reply(200, { version: this.state.version });
        }
        if (req.method === 'PUT' && path === '/control/state') {
          const parsed = gatewayDesiredStateSchema.safeParse(body);
          if (!parsed.success)
            return reply(400, { error: parsed.error.message });
          this.state = parsed.data;
          this.pushes.push(parsed.data);
          return reply(200, { version: parsed.data.version });
        }
        return reply(405, { error: 'method not allowed' });
      });
    });
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', resolve),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>(
      resolve => this.server?.close(() => resolve()) ?? resolve(),
    );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
