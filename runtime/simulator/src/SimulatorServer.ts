import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import pino, { Logger } from 'pino';
import {
  parseSimulatorConfig,
  SimulatorConfig,
  SimulatorConfigInput,
} from './config/SimulatorConfig';
import { FaultInjector } from './faults/FaultInjector';
import { HttpError, readJsonBody, sendError, sendJson } from './http/httpIo';
import { ModelCatalog } from './api/ModelCatalog';
import { SimulatorStats } from './api/SimulatorStats';
import type { SimulatorDeps } from './api/RequestContext';
import { handleChatCompletions } from './api/chatCompletions';
import { handleEmbeddings } from './api/embeddings';
import { handleAnthropicMessages } from './api/anthropicMessages';
import { handleAdmin } from './api/admin';

/** `/openai/deployments/{name}/chat/completions`, as Azure OpenAI serves it. */
const AZURE_PATH =
  /^(?:\/openai)?\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The simulator's HTTP server: OpenAI and Anthropic routes, `/admin`, `/health`. */
export class SimulatorServer {
  readonly config: SimulatorConfig;
  readonly faults: FaultInjector;
  readonly stats = new SimulatorStats();
  readonly catalog: ModelCatalog;
  private readonly deps: SimulatorDeps;
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly adminTokenDigest?: Buffer;

  constructor(config: SimulatorConfigInput = {}, logger?: Logger) {
    this.config = parseSimulatorConfig(config);
    this.faults = new FaultInjector(this.config.seed);
    this.catalog = new ModelCatalog(this.config);
    this.deps = {
      seed: this.config.seed,
      catalog: this.catalog,
      faults: this.faults,
      stats: this.stats,
    };
    this.logger =
      logger ?? pino({ name: 'cellport-simulator', level: 'silent' });
    this.adminTokenDigest = this.config.adminToken
      ? digest(this.config.adminToken)
      : undefined;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(error => this.fail(req, res, error));
    });
    this.server.keepAliveTimeout = 65_000;
  }

  /** Listens on the configured host and port (0 picks a free one); resolves with the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.logger.info({ url: this.url }, 'simulator listening');
    return this.url;
  }

  /** The base URL, e.g. `http://127.0.0.1:7070`. OpenAI clients use `${url}/v1`. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://${this.config.host}:${address.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/health' || path === '/ready')) {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: this.catalog.list().map(model => ({
          id: model.id,
          object: 'model',
          created: 0,
          owned_by: 'cellport-simulator',
        })),
      });
      return;
    }
    if (path.startsWith('/admin/')) {
      this.checkAdminToken(req);
      const body =
        method === 'GET' || method === 'DELETE' ? {} : await readJsonBody(req);
      handleAdmin(this.deps, method, path, body, res);
      return;
    }
    if (method !== 'POST') {
      throw new HttpError(404, `no route ${method} ${path}`, 'not_found_error');
    }
    const body = await readJsonBody(req);
    // Azure OpenAI names the deployment in the path instead of the body.
    const azure = AZURE_PATH.exec(path);
    if (azure && body && typeof body === 'object') {
      (body as Record<string, unknown>).model = decodeURIComponent(azure[1]);
    }
    switch (azure ? `/v1/${azure[2]}` : path) {
      case '/v1/chat/completions':
        await handleChatCompletions(this.deps, req, res, body);
        return;
      case '/v1/embeddings':
        await handleEmbeddings(this.deps, req, res, body);
        return;
      case '/v1/messages':
        await handleAnthropicMessages(this.deps, req, res, body);
        return;
      default:
        throw new HttpError(
          404,
          `no route ${method} ${path}`,
          'not_found_error',
        );
    }
  }

  private checkAdminToken(req: IncomingMessage): void {
    if (!this.adminTokenDigest) {
      return;
    }
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!timingSafeEqual(digest(token), this.adminTokenDigest)) {
      throw new HttpError(
        401,
        'admin routes need the simulator admin token',
        'authentication_error',
      );
    }
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    error: unknown,
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const anthropic = (req.url ?? '').startsWith('/v1/messages');
    if (error instanceof HttpError) {
      const retryAfter = (error as HttpError & { retryAfterSeconds?: number })
        .retryAfterSeconds;
      sendError(res, error, {
        anthropic,
        headers:
          retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      });
      return;
    }
    this.logger.error(
      { err: error, path: req.url },
      'simulator request failed',
    );
    sendError(
      res,
      new HttpError(500, 'internal simulator error', 'api_error'),
      { anthropic },
    );
  }
}
