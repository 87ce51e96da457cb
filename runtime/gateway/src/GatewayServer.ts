import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ChatEndpoint } from './api/ChatEndpoint';
import { ControlApi } from './api/ControlApi';
import {
  EmbeddingsEndpoint,
  EmbeddingsRequest,
} from './api/EmbeddingsEndpoint';
import type { GatewayDeps } from './api/GatewayDeps';
import { MessagesEndpoint } from './api/MessagesEndpoint';
import { handleModels } from './api/ModelsHandler';
import { RequestPipeline } from './api/RequestPipeline';
import { ResponsesEndpoint } from './api/ResponsesEndpoint';
import { answerClientError } from './http/clientError';
import { ErrorShape, OPENAI_ERRORS } from './http/ErrorShape';
import { GatewayError } from './http/GatewayError';
import { GatewayResponse } from './http/GatewayResponse';
import { bodyBeyond, sendError, sendJson } from './http/httpIo';
import { MetricsEndpoint } from './metrics/MetricsEndpoint';
import type { ChatRequestSummary } from './router/chatRequest';

/**
 * How long requests a stop cut short have to answer and write their events: their upstream
 * calls are abandoned, so only the gateway's own work is left (a slow client's socket aside).
 */
const INTERRUPTED_ANSWER_MS = 1_000;

/** An endpoint that speaks another API than OpenAI chat's: its pipeline and error shape. */
type TranslatedApi = Pick<RequestPipeline<unknown>, 'handle' | 'errors'>;

/**
 * The gateway's HTTP server on plain node:http (a framework would cost CPU on every request):
 * the OpenAI-compatible API, the control API, and `/health`, `/ready`, `/metrics` (on a port
 * of its own with `metricsPort`).
 */
export class GatewayServer {
  private readonly server: Server;
  private readonly metrics: MetricsEndpoint;
  /** `/metrics` alone, when it has a port of its own. */
  private readonly metricsServer?: Server;
  private readonly chat: RequestPipeline<ChatRequestSummary>;
  private readonly embeddings: RequestPipeline<EmbeddingsRequest>;
  /** The translating endpoints, by path: their own error shapes apply before auth too. */
  private readonly translated: Map<string, TranslatedApi>;
  private readonly control: ControlApi;
  private draining = false;
  /** Client connections open (`cellport_gateway_open_connections`). */
  private connections = 0;
  /** The drain ran out: requests still arriving on open connections are refused at once. */
  private cutting = false;

  constructor(private readonly deps: GatewayDeps) {
    this.chat = new RequestPipeline(deps, new ChatEndpoint(deps));
    this.embeddings = new RequestPipeline(deps, new EmbeddingsEndpoint(deps));
    this.translated = new Map<string, TranslatedApi>([
      ['/v1/responses', new RequestPipeline(deps, new ResponsesEndpoint(deps))],
      ['/v1/messages', new RequestPipeline(deps, new MessagesEndpoint(deps))],
    ]);
    this.control = new ControlApi(deps);
    this.metrics = new MetricsEndpoint(deps);
    if (deps.config.metricsPort !== undefined) {
      this.metricsServer = this.metricsOnly();
    }
    const { headersTimeoutMs, requestTimeoutMs, clientStallTimeoutMs } =
      deps.config;
    this.server = createServer<typeof IncomingMessage, typeof GatewayResponse>(
      {
        ServerResponse: GatewayResponse.readWithin(clientStallTimeoutMs),
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        // Node looks for expired requests every 30 s by default, which would let a slow
        // client hold its socket up to 30 s past its timeout.
        connectionsCheckingInterval: Math.min(
          1_000,
          Math.max(10, Math.floor(headersTimeoutMs / 4)),
        ),
      },
      (req, res) => this.dispatch(req, res),
    );
    this.server.keepAliveTimeout = deps.config.keepAliveTimeoutMs;
    this.server.on('clientError', answerClientError);
    this.server.on('connection', (socket: Socket) => {
      this.connections += 1;
      socket.once('close', () => {
        this.connections -= 1;
      });
    });
    deps.metrics.observeConnections(() => this.connections);
    deps.metrics.observeInFlight(() => deps.inFlight.api);
    deps.metrics.observeBuffered(() => deps.inFlight.buffered.held);
  }

  async listen(
    port = this.deps.config.port,
    host = this.deps.config.host,
  ): Promise<string> {
    await listenOn(this.server, host, port, 'GATEWAY_PORT');
    if (this.metricsServer) {
      await listenOn(
        this.metricsServer,
        host,
        this.deps.config.metricsPort!,
        'GATEWAY_METRICS_PORT',
      );
    }
    return this.url;
  }

  get url(): string {
    return urlOf(this.server, this.deps.config.host);
  }

  /** Where `/metrics` is served: its own port's URL, or the API's. */
  get metricsUrl(): string {
    return urlOf(this.metricsServer ?? this.server, this.deps.config.host);
  }

  /** The server of `/metrics` on its own port: nothing else is there. */
  private metricsOnly(): Server {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/metrics') {
        this.metrics.serve(res).catch(error => this.fail(req, res, error));
        return;
      }
      sendError(
        res,
        new GatewayError(
          404,
          'not_found',
          `no route ${req.method} ${path} on the metrics port: it serves GET /metrics`,
          'not-found',
        ),
      );
    });
    // The API's client timeouts: a scraper that stalls is cut off as a slow client is.
    server.headersTimeout = this.deps.config.headersTimeoutMs;
    server.requestTimeout = this.deps.config.requestTimeoutMs;
    server.on('clientError', answerClientError);
    return server;
  }

  /**
   * Stops taking requests, lets in-flight ones (streams included) finish for up to
   * `drainTimeoutMs`, then cuts short what is left with an answer (a 503, or an error event
   * and a clean end of a stream, their events written), and closes what still remains.
   * First, for `shutdownDelayMs`, it goes on serving while `/ready` says it is draining: a
   * Service still sends it requests until its endpoints are updated, and a port closed at
   * once would give those callers connection errors instead of answers.
   */
  async close(drainTimeoutMs = this.deps.config.drainTimeoutMs): Promise<void> {
    this.draining = true;
    const { shutdownDelayMs } = this.deps.config;
    if (shutdownDelayMs > 0) {
      await new Promise(resolve => setTimeout(resolve, shutdownDelayMs));
    }
    const closed = new Promise<void>(resolve =>
      this.server.close(() => resolve()),
    );
    this.server.closeIdleConnections();
    const { inFlight } = this.deps;
    if (inFlight.all > 0) {
      await this.idleWithin(drainTimeoutMs);
      this.cutting = true;
      if (inFlight.all > 0 && inFlight.interruptAll() > 0) {
        await this.idleWithin(INTERRUPTED_ANSWER_MS);
      }
    }
    this.server.closeAllConnections();
    await closed;
    // Scraped through the drain; closed with the API.
    if (this.metricsServer?.listening) {
      const metricsClosed = new Promise<void>(resolve =>
        this.metricsServer!.close(() => resolve()),
      );
      this.metricsServer.closeAllConnections();
      await metricsClosed;
    }
  }

  private async idleWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.deps.inFlight.idle(),
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  private dispatch(req: IncomingMessage, res: GatewayResponse): void {
    if (req.url !== undefined && !req.url.startsWith('/')) {
      req.url = originForm(req.url);
    }
    res.memory = this.deps.inFlight.track(req, res);
    if (this.draining) {
      // Tell keep-alive callers to reconnect elsewhere.
      res.setHeader('connection', 'close');
    }
    if (this.cutting && req.url?.startsWith('/v1/')) {
      this.fail(req, res, GatewayError.shuttingDown());
      return;
    }
    this.route(req, res).catch(error => this.fail(req, res, error));
  }

  private async route(
    req: IncomingMessage,
    res: GatewayResponse,
  ): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/v1/chat/completions') {
      return this.chat.handle(req, res);
    }
    if (method === 'POST' && path === '/v1/embeddings') {
      return this.embeddings.handle(req, res);
    }
    const translated =
      method === 'POST' ? this.translated.get(path) : undefined;
    if (translated) {
      return translated.handle(req, res);
    }
    if (method === 'GET' && path === '/v1/models') {
      return handleModels(this.deps, req, res);
    }
    if (path === '/control/state' || path === '/control/state/version') {
      return this.control.handle(req, res, path);
    }
    if (method === 'GET' && path === '/health') {
      return sendJson(res, 200, { status: 'ok' });
    }
    if (method === 'GET' && path === '/ready') {
      return this.ready(res);
    }
    if (
      method === 'GET' &&
      path === '/metrics' &&
      this.metricsServer === undefined
    ) {
      return this.metrics.serve(res);
    }
    throw new GatewayError(
      404,
      'not_found',
      `no route ${method} ${path}`,
      'not-found',
    );
  }

  /**
   * Ready means this replica can serve: a state is loaded and it is not draining. Upstream
   * health is left out on purpose: in a provider outage every replica would leave the Service
   * and callers would get connection errors instead of a clear 503; it is in the metrics
   * (`cellport_gateway_circuit_state`).
   */
  private ready(res: ServerResponse): void {
    const state = this.deps.state.current;
    const checks = {
      stateLoaded: state !== undefined,
      stateVersion: state?.version ?? null,
      draining: this.draining,
    };
    const ready = checks.stateLoaded && !checks.draining;
    sendJson(res, ready ? 200 : 503, {
      status: ready ? 'ready' : 'not-ready',
      ...checks,
    });
  }

  /**
   * The error shape of the API a request was sent to (OpenAI's unless it is translated),
   * under its paths too: Anthropic's SDK calls `/v1/messages/count_tokens` and
   * `/v1/messages/batches`, which this gateway does not serve, and must read the 404.
   */
  private errorShape(req: IncomingMessage): ErrorShape {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    for (const [prefix, api] of this.translated) {
      if (path === prefix || path.startsWith(`${prefix}/`)) {
        return api.errors ?? OPENAI_ERRORS;
      }
    }
    return OPENAI_ERRORS;
  }

  /**
   * Answers a request that failed outside an inference lifecycle: before authentication (no
   * tenant, so no events) or on the ops and control routes. API refusals still count in the
   * request metrics, under tenant "unknown".
   */
  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    error: unknown,
  ): void {
    if (bodyBeyond(req, this.deps.config.maxBodyBytes)) {
      // Refused before its body was read (a bad key, an unknown path): the rest of a body
      // larger than any request may send is not read, the connection ends with the answer.
      res.setHeader('connection', 'close');
    }
    if (error instanceof GatewayError) {
      if (req.url?.startsWith('/v1/')) {
        this.deps.metrics.requests.inc({
          tenant: 'unknown',
          model: 'none',
          outcome: error.status >= 500 ? 'error' : 'rejected',
          status: String(error.status),
        });
      }
      sendError(res, error, {}, this.errorShape(req));
      return;
    }
    this.deps.logger.error({ err: error }, 'request failed unexpectedly');
    sendError(
      res,
      new GatewayError(
        500,
        'internal_error',
        'internal gateway error',
        'internal',
      ),
      {},
      this.errorShape(req),
    );
  }
}

/**
 * The path and query of a request target in absolute form (`POST http://host/v1/...`), which
 * HTTP/1.1 servers must accept (RFC 9112, 3.2.2) and some proxies send: its scheme and host
 * taken off as written, nothing resolved (`..` or `%2e` stay, and are answered 404 as in a
 * path). Anything else (`*`, garbage) is left as it is.
 */
function originForm(target: string): string {
  const authority = /^https?:\/\/[^/?#]*/i.exec(target);
  if (!authority) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function listenOn(
  server: Server,
  host: string,
  port: number,
  variable: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', error =>
      reject(
        new Error(
          `cannot listen on GATEWAY_HOST:${variable} (${host}:${port}): ${error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
}

function urlOf(server: Server, host: string): string {
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}
