import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { hasUnstorableText } from '@cellport/plugin-platform-common';
import { DEFAULT_MAX_BUFFERED_BYTES } from '../http/BufferedBytes';
import { DEFAULT_MAX_ANSWER_BYTES } from '../providers/UpstreamHttp';

/** Everything the gateway reads at start-up. All of it comes from environment variables. */
export interface GatewayConfig {
  host: string;
  port: number;
  /**
   * A port of its own for `/metrics`, which then leaves the API's port: a scrape shows every
   * tenant's spend and models, and costs the replica a read per tenant, so only the monitoring
   * network should reach it. Unset, `/metrics` is served on `port` (a local gateway).
   */
  metricsPort?: number;
  /** Names this replica in events and logs. */
  gatewayId: string;
  /** Bearer token of the control API; the control API is off without one. */
  adminToken?: string;
  /** JSON file holding the initial desired state. */
  stateFile?: string;
  maxBodyBytes: number;
  /**
   * Time a client has to send its request headers, and its whole request: a slow (slowloris)
   * client is answered 408 and disconnected then.
   */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * How long an idle client connection stays open. Longer than the load balancer's idle
   * timeout (60 s on AWS ALB and most others), so the gateway never closes a connection the
   * balancer is about to reuse.
   */
  keepAliveTimeoutMs: number;
  /** Time allowed until an upstream's response headers. */
  upstreamTimeoutMs: number;
  /** Time a streamed upstream may stay silent. */
  upstreamIdleTimeoutMs: number;
  /**
   * Time a client may go without reading its stream while the gateway has more for it: one
   * that stops reading would hold its reservation, its upstream stream and its connection.
   */
  clientStallTimeoutMs: number;
  /** Bytes of a JSON answer the gateway reads at most (`DEFAULT_MAX_ANSWER_BYTES`). */
  upstreamMaxAnswerBytes?: number;
  /**
   * Bytes of request bodies and JSON answers the replica's requests hold together at most
   * (`BufferedBytes`, `DEFAULT_MAX_BUFFERED_BYTES`); above it a request is refused with 503.
   */
  maxBufferedBytes?: number;
  /** Embedded default: send every upstream call to this origin (the simulator). */
  upstreamOriginOverride?: string;
  /** Shared budgets and rate limits across replicas; in-process counters without it. */
  redisUrl?: string;
  events: {
    transport: 'http' | 'nats' | 'off';
    /** Portal base URL; batches go to `${portalUrl}/api/platform/events`. */
    portalUrl?: string;
    portalToken?: string;
    /** How long the portal may take to answer a batch before it is sent again. */
    portalTimeoutMs: number;
    spoolDir: string;
    /** Byte cap of the spool; above it the oldest segments are dropped (default 1 GiB). */
    spoolMaxBytes?: number;
    natsUrl?: string;
    flushIntervalMs: number;
    /** Events per spool segment, and so per batch sent (a turn's write may add as many). */
    segmentEvents: number;
  };
  /** `maxBytes` caps the answer bytes held, whatever their number. */
  cache: { enabled: boolean; ttlSeconds: number; maxBytes: number };
  /** Seconds a shutdown waits for in-flight streams to finish. */
  drainTimeoutMs: number;
  /**
   * How long a stop keeps serving, `/ready` answering 503, before it closes its port: long
   * enough for the orchestrator to take the replica out of its Service's endpoints.
   */
  shutdownDelayMs: number;
  logLevel: string;
  /** OpenTelemetry traces; off when absent or without an endpoint. */
  telemetry?: TelemetryConfig;
}

export interface TelemetryConfig {
  /** OTLP/HTTP traces URL (`.../v1/traces`); no span is made without one. */
  otlpTracesEndpoint?: string;
  /** Share of new traces recorded, 0 to 1; a caller's sampled flag is followed. */
  sampleRatio: number;
  serviceName: string;
}

/** What a URL variable may hold: its protocols, and how an error names them. */
const HTTP_URL = { protocols: ['http', 'https'], kind: 'an http(s) URL' };
const REDIS_URL = { protocols: ['redis', 'rediss'], kind: 'a redis(s):// URL' };
const NATS_URL = {
  protocols: ['nats', 'tls'],
  kind: 'a nats:// or tls:// URL',
};

/**
 * A URL as logs and errors may show it: a user and password in it (`user:pass@`, a collector's
 * or a portal proxy's) blanked out, whatever its scheme, even one mistyped.
 */
export function shownUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.host) {
    if (url.username || url.password) {
      url.username = '***';
      url.password = '';
    }
    return url.href;
  }
  // No authority the URL parser could read: where a password in it ends cannot be told.
  return raw.includes('@') ? '(not shown: it may hold a password)' : raw;
}

/**
 * A URL of one of the protocols `expected` names, or undefined when unset. The value is
 * repeated in the error without its credentials (`shownUrl`), and not at all when it may hold
 * a password elsewhere (a Redis URL's query).
 */
function urlFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  expected: { protocols: string[]; kind: string },
  echo = true,
): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (
    !url?.hostname ||
    !expected.protocols.includes(url.protocol.slice(0, -1))
  ) {
    throw new Error(
      `environment variable ${name} must be ${expected.kind}${
        echo ? `, got "${shownUrl(raw)}"` : ''
      }`,
    );
  }
  return raw;
}

/** NATS servers, comma-separated, each `host:port` or a `nats://` (`tls://`) URL. */
function natsServersFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.GATEWAY_NATS_URL;
  if (!raw) return undefined;
  for (const server of raw.split(',')) {
    const url = /^[a-z]+:\/\//.test(server) ? server : `nats://${server}`;
    try {
      urlFromEnv({ server: url }, 'server', NATS_URL, false);
    } catch {
      // Not repeated: a server URL may hold a user's password.
      throw new Error(
        'environment variable GATEWAY_NATS_URL must be NATS servers, comma-separated, each host:port or a nats:// or tls:// URL',
      );
    }
  }
  return raw;
}

function intFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  // Digits only: Number() reads a blank as 0, and `0x50` or `1e3` as numbers nobody wrote.
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new Error(
      `environment variable ${name} must be a non-negative integer, got "${raw}"`,
    );
  }
  return value;
}

/** The replica's name, as every event records it: the portal takes 1 to 128 characters. */
function gatewayId(env: NodeJS.ProcessEnv): string {
  const id = env.GATEWAY_ID || `${hostname()}-${process.pid}`;
  if (id.length > 128 || hasUnstorableText(id)) {
    throw new Error(
      'environment variable GATEWAY_ID must be at most 128 characters with no NUL character (every event records it, and the portal refuses longer)',
    );
  }
  return id;
}

function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  values: T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!values.includes(raw as T)) {
    throw new Error(
      `environment variable ${name} must be one of ${values.join(
        ', ',
      )}, got "${raw}"`,
    );
  }
  return raw as T;
}

/**
 * A segment holds up to twice this (a turn's requests are written together), and the portal
 * takes at most 5,000 events a batch.
 */
function segmentEvents(env: NodeJS.ProcessEnv): number {
  const events = intFromEnv(env, 'GATEWAY_EVENTS_SEGMENT_EVENTS', 1000);
  if (events < 1 || events > 2000) {
    throw new Error(
      `environment variable GATEWAY_EVENTS_SEGMENT_EVENTS must be from 1 to 2000, got "${events}"`,
    );
  }
  return events;
}

/** An integer variable with a floor: below it the setting would defeat its purpose. */
function intAtLeast(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  why: string,
): number {
  const value = intFromEnv(env, name, fallback);
  if (value < min) {
    throw new Error(
      `environment variable ${name} must be at least ${min} (${why}), got "${env[name]}"`,
    );
  }
  return value;
}

/**
 * GATEWAY_MAX_BUFFERED_BYTES: at least one request's largest body and answer together, or
 * such a request could never be served; by default the larger of that and
 * DEFAULT_MAX_BUFFERED_BYTES.
 */
function bufferedBytes(
  env: NodeJS.ProcessEnv,
  maxBodyBytes: number,
  maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES,
): number {
  const oneRequest = maxBodyBytes + maxAnswerBytes;
  return intAtLeast(
    env,
    'GATEWAY_MAX_BUFFERED_BYTES',
    Math.max(DEFAULT_MAX_BUFFERED_BYTES, oneRequest),
    oneRequest,
    "one request's largest body and answer must fit",
  );
}

/** Node's timers hold at most 2^31 − 1 ms: a longer delay fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A duration in milliseconds from `min` to what a timer can hold; below `min` it would turn
 * off (0) what it bounds, above the maximum Node would fire it at once.
 */
function msFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min = 1,
): number {
  const value = intFromEnv(env, name, fallback);
  if (value < min || value > MAX_TIMER_MS) {
    throw new Error(
      `environment variable ${name} must be from ${min} to ${MAX_TIMER_MS} milliseconds, got "${env[name]}"`,
    );
  }
  return value;
}

/** pino's levels; another would fail deep inside the logger, without the variable's name. */
const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

function portFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
): number {
  const port = intFromEnv(env, name, fallback);
  if (port > 65_535) {
    throw new Error(
      `environment variable ${name} must be from 0 to 65535, got "${env[name]}"`,
    );
  }
  return port;
}

function metricsPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  if (!env.GATEWAY_METRICS_PORT) return undefined;
  const port = portFromEnv(env, 'GATEWAY_METRICS_PORT', 0);
  if (port !== 0 && port === portFromEnv(env, 'GATEWAY_PORT', 7080)) {
    throw new Error(
      `environment variable GATEWAY_METRICS_PORT must differ from GATEWAY_PORT (${port}): /metrics moves to a port of its own`,
    );
  }
  return port;
}

/** Node refuses a headers timeout above the request timeout, and 0 would turn either off. */
function clientTimeouts(env: NodeJS.ProcessEnv) {
  const headersTimeoutMs = intFromEnv(
    env,
    'GATEWAY_HEADERS_TIMEOUT_MS',
    10_000,
  );
  const requestTimeoutMs = msFromEnv(env, 'GATEWAY_REQUEST_TIMEOUT_MS', 30_000);
  if (headersTimeoutMs === 0 || headersTimeoutMs > requestTimeoutMs) {
    throw new Error(
      `environment variable GATEWAY_HEADERS_TIMEOUT_MS must be from 1 to GATEWAY_REQUEST_TIMEOUT_MS (${requestTimeoutMs}), got "${headersTimeoutMs}"`,
    );
  }
  return { headersTimeoutMs, requestTimeoutMs };
}

function ratioFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = /^(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new Error(
      `environment variable ${name} must be a number from 0 to 1, got "${raw}"`,
    );
  }
  return value;
}

/**
 * The gateway speaks OTLP/HTTP with protobuf, the protocol's default. Asked for another
 * (grpc, http/json) by the variable that applies to traces, it says so at start rather than
 * send what the collector does not expect; with tracing off the variables do not matter.
 */
function checkOtlpProtocol(env: NodeJS.ProcessEnv): void {
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim()
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[name]?.trim();
  if (protocol && protocol !== 'http/protobuf') {
    throw new Error(
      `environment variable ${name} must be http/protobuf (the only OTLP protocol the gateway exports), got "${protocol}"`,
    );
  }
}

/**
 * The exporter's own settings the OTLP SDK reads, which it would drop silently when mistyped
 * (a collector's auth header gone, an export that waits its default): said at start instead.
 */
function checkOtlpExporterSettings(env: NodeJS.ProcessEnv): void {
  for (const scope of ['', 'TRACES_']) {
    intFromEnv(env, `OTEL_EXPORTER_OTLP_${scope}TIMEOUT`, 0);
    const compression = `OTEL_EXPORTER_OTLP_${scope}COMPRESSION`;
    oneOf(env, compression, ['gzip', 'none'], 'none');
    const headers = `OTEL_EXPORTER_OTLP_${scope}HEADERS`;
    const pairs = env[headers]?.split(',').filter(pair => pair.trim() !== '');
    if (pairs?.some(pair => !/^\s*[^=\s]+\s*=/.test(pair))) {
      // Not repeated: a header's value is often a collector's token.
      throw new Error(
        `environment variable ${headers} must be key=value pairs separated by commas`,
      );
    }
  }
}

/**
 * OpenTelemetry's own variables: the traces endpoint as given, or the base endpoint with
 * `/v1/traces` appended; `OTEL_SDK_DISABLED=true` turns tracing off.
 */
function telemetryConfig(env: NodeJS.ProcessEnv): TelemetryConfig {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base}/v1/traces` : '');
  urlFromEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', HTTP_URL);
  urlFromEnv(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', HTTP_URL);
  const disabledText = env.OTEL_SDK_DISABLED?.trim().toLowerCase() ?? '';
  if (!['', 'true', 'false'].includes(disabledText)) {
    throw new Error(
      `environment variable OTEL_SDK_DISABLED must be true or false, got "${env.OTEL_SDK_DISABLED}"`,
    );
  }
  const disabled = disabledText === 'true';
  if (!disabled && endpoint) {
    checkOtlpProtocol(env);
    checkOtlpExporterSettings(env);
  }
  return {
    otlpTracesEndpoint: disabled || !endpoint ? undefined : endpoint,
    sampleRatio: ratioFromEnv(env, 'OTEL_TRACES_SAMPLER_ARG', 1),
    serviceName: env.OTEL_SERVICE_NAME || 'cellport-gateway',
  };
}

/** Reads the config; a bad value fails start-up with a message naming the variable. */
export function readGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const portalUrl = urlFromEnv(env, 'GATEWAY_EVENTS_URL', HTTP_URL);
  const natsUrl = natsServersFromEnv(env);
  let defaultTransport: 'http' | 'nats' | 'off' = 'off';
  if (natsUrl) defaultTransport = 'nats';
  else if (portalUrl) defaultTransport = 'http';
  const maxBodyBytes = intAtLeast(
    env,
    'GATEWAY_MAX_BODY_BYTES',
    1024 * 1024,
    1024,
    'a smaller cap would refuse ordinary requests',
  );
  const upstreamMaxAnswerBytes = env.GATEWAY_UPSTREAM_MAX_ANSWER_BYTES
    ? intAtLeast(
        env,
        'GATEWAY_UPSTREAM_MAX_ANSWER_BYTES',
        0,
        1024 * 1024,
        'a smaller cap would refuse ordinary answers',
      )
    : undefined;
  return {
    host: env.GATEWAY_HOST || '127.0.0.1',
    port: portFromEnv(env, 'GATEWAY_PORT', 7080),
    metricsPort: metricsPortFromEnv(env),
    gatewayId: gatewayId(env),
    adminToken: env.GATEWAY_ADMIN_TOKEN || undefined,
    stateFile: env.GATEWAY_STATE_FILE || undefined,
    maxBodyBytes,
    ...clientTimeouts(env),
    keepAliveTimeoutMs: msFromEnv(env, 'GATEWAY_KEEP_ALIVE_TIMEOUT_MS', 65_000),
    upstreamTimeoutMs: msFromEnv(env, 'GATEWAY_UPSTREAM_TIMEOUT_MS', 60_000),
    upstreamIdleTimeoutMs: msFromEnv(
      env,
      'GATEWAY_UPSTREAM_IDLE_TIMEOUT_MS',
      60_000,
    ),
    clientStallTimeoutMs: msFromEnv(
      env,
      'GATEWAY_CLIENT_STALL_TIMEOUT_MS',
      60_000,
    ),
    upstreamMaxAnswerBytes,
    maxBufferedBytes: bufferedBytes(env, maxBodyBytes, upstreamMaxAnswerBytes),
    upstreamOriginOverride: urlFromEnv(
      env,
      'GATEWAY_UPSTREAM_ORIGIN_OVERRIDE',
      HTTP_URL,
    ),
    redisUrl: urlFromEnv(env, 'GATEWAY_REDIS_URL', REDIS_URL, false),
    events: {
      transport: oneOf(
        env,
        'GATEWAY_EVENTS',
        ['http', 'nats', 'off'],
        defaultTransport,
      ),
      portalUrl,
      portalToken: env.GATEWAY_EVENTS_TOKEN || undefined,
      portalTimeoutMs: msFromEnv(env, 'GATEWAY_EVENTS_TIMEOUT_MS', 10_000),
      spoolDir: resolve(env.GATEWAY_SPOOL_DIR || 'data/gateway-spool'),
      spoolMaxBytes: env.GATEWAY_SPOOL_MAX_BYTES
        ? intAtLeast(
            env,
            'GATEWAY_SPOOL_MAX_BYTES',
            0,
            1024 * 1024,
            'a smaller spool would drop events as soon as they are written',
          )
        : undefined,
      natsUrl,
      flushIntervalMs: msFromEnv(env, 'GATEWAY_EVENTS_FLUSH_MS', 100),
      segmentEvents: segmentEvents(env),
    },
    cache: {
      enabled: oneOf(env, 'GATEWAY_CACHE', ['on', 'off'], 'off') === 'on',
      ttlSeconds: intFromEnv(env, 'GATEWAY_CACHE_TTL_SECONDS', 300),
      maxBytes: intFromEnv(env, 'GATEWAY_CACHE_MAX_BYTES', 64 * 1024 * 1024),
    },
    // 0: no wait, what is in flight is cut at once.
    drainTimeoutMs: msFromEnv(env, 'GATEWAY_DRAIN_TIMEOUT_MS', 30_000, 0),
    shutdownDelayMs: msFromEnv(env, 'GATEWAY_SHUTDOWN_DELAY_MS', 0, 0),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    telemetry: telemetryConfig(env),
  };
}
