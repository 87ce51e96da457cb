import pino, { Logger } from 'pino';
import { ApiKeyAuthenticator } from './auth/ApiKeyAuthenticator';
import { PromptCache } from './cache/PromptCache';
import { GatewayConfig, shownUrl } from './config/GatewayConfig';
import type { GatewayDeps } from './api/GatewayDeps';
import { DiscardingEventSink, EventSink } from './events/EventSink';
import { createEventSink } from './events/createEventSink';
import { GatewayServer } from './GatewayServer';
import { InFlightRequests } from './http/InFlightRequests';
import { InMemoryLimiter } from './limits/InMemoryLimiter';
import type { Limiter } from './limits/Limiter';
import { RedisLimiter } from './limits/RedisLimiter';
import { GatewayMetrics } from './metrics/GatewayMetrics';
import { AnthropicAdapter } from './providers/AnthropicAdapter';
import { OpenAiAdapter } from './providers/OpenAiAdapter';
import { UpstreamHttp } from './providers/UpstreamHttp';
import {
  BufferedBytes,
  DEFAULT_MAX_BUFFERED_BYTES,
} from './http/BufferedBytes';
import { ModelRouter } from './router/ModelRouter';
import { StateStore } from './state/StateStore';
import { GatewayTracing } from './telemetry/GatewayTracing';
import { FallbackExecutor } from './upstream/FallbackExecutor';
import { RetryBudgets } from './upstream/RetryBudgets';
import { UpstreamHealth } from './upstream/UpstreamHealth';
import { TokenCounter } from './usage/TokenCounter';
import { UpstreamCredentials } from './providers/UpstreamCredentials';

export interface GatewayOverrides {
  logger?: Logger;
  limiter?: Limiter;
  events?: EventSink;
  /** Wall clock in ms; tests inject one to move windows and key expiry. */
  now?: () => number;
  breaker?: { failureThreshold: number; openMs: number };
  /** Where upstream credentials (`credentialEnv`) are read from: the process's own by default. */
  env?: NodeJS.ProcessEnv;
}

/** A wired gateway: its server and the parts tests and the entry point reach into. */
export interface Gateway {
  server: GatewayServer;
  deps: GatewayDeps;
  start(): Promise<string>;
  /** Drains in-flight requests, then flushes events and closes connections. */
  stop(): Promise<void>;
}

/** Builds a gateway from its config: defaults in process, Redis and NATS when configured. */
export async function createGateway(
  config: GatewayConfig,
  overrides: GatewayOverrides = {},
): Promise<Gateway> {
  const logger =
    overrides.logger ??
    pino(
      {
        name: 'cellport-gateway',
        level: config.logLevel,
        base: { gateway: config.gatewayId },
      },
      // Written as each line is logged, so nothing is left to flush at exit: pino's default
      // flushes its buffer then, and that flush retries a broken pipe for good, so a gateway
      // whose parent died never stopped on a signal. A broken pipe now ends the logging, not
      // the drain. The cost, as for Node's own stdout on a Linux pipe: a reader that stops
      // draining stalls the process once the pipe is full. Few lines are logged (start,
      // pushes, fallbacks and failures; one a request only at debug level).
      pino.destination({ dest: 1, sync: true }),
    );
  const now = overrides.now ?? Date.now;
  const metrics = new GatewayMetrics();
  const tracing = GatewayTracing.fromConfig(config, logger);
  const state = new StateStore();
  if (config.stateFile) {
    const { version } = state.loadFile(config.stateFile);
    logger.info(
      { version, file: config.stateFile },
      'desired state loaded from file',
    );
  }
  const health = new UpstreamHealth({
    failureThreshold: overrides.breaker?.failureThreshold ?? 5,
    openMs: overrides.breaker?.openMs ?? 10_000,
    now,
  });
  if (state.current) health.follow(state.current.profiles.values());
  state.onChange(next => health.follow(next.profiles.values()));
  const credentials = new UpstreamCredentials(
    logger,
    overrides.env,
    !config.upstreamOriginOverride,
  );
  if (state.current) credentials.follow(state.current.profiles.values());
  state.onChange(next => credentials.follow(next.profiles.values()));
  const http = new UpstreamHttp({
    headersTimeoutMs: config.upstreamTimeoutMs,
    bodyTimeoutMs: config.upstreamIdleTimeoutMs,
    maxAnswerBytes: config.upstreamMaxAnswerBytes,
    originOverride: config.upstreamOriginOverride,
  });
  const openAi = new OpenAiAdapter(http, overrides.env);
  const limiter =
    overrides.limiter ??
    (config.redisUrl
      ? new RedisLimiter(config.redisUrl, error =>
          logger.warn(
            { reason: error.message },
            'Redis unreachable; requests get 503 until it is back',
          ),
        )
      : new InMemoryLimiter());
  const events =
    overrides.events ??
    (config.events.transport === 'off'
      ? new DiscardingEventSink()
      : await createEventSink(config, logger, metrics));
  const deps: GatewayDeps = {
    config,
    state,
    auth: new ApiKeyAuthenticator(now),
    router: new ModelRouter(health),
    health,
    executor: new FallbackExecutor(
      health,
      new RetryBudgets(),
      metrics.upstreamAttempts,
    ),
    adapters: {
      openai: openAi,
      'azure-openai': openAi,
      together: openAi,
      moonshot: openAi,
      vllm: openAi,
      simulator: openAi,
      anthropic: new AnthropicAdapter(http, overrides.env),
    },
    credentials,
    limiter,
    events,
    inFlight: new InFlightRequests(
      new BufferedBytes(config.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES),
    ),
    cache: config.cache.enabled
      ? new PromptCache(config.cache, now)
      : undefined,
    metrics,
    tracing,
    tokens: new TokenCounter(),
    logger,
    now,
  };
  metrics.budgetLeft = async () => {
    const tenants = [...(state.current?.tenants.values() ?? [])];
    const spent = await limiter.monthSpendUsd(
      tenants.map(tenant => tenant.id),
      now(),
    );
    return tenants.map((tenant, i) => [
      tenant.id,
      tenant.monthlyBudgetUsd - spent[i],
    ]);
  };
  const server = new GatewayServer(deps);
  return {
    server,
    deps,
    start: async () => {
      const url = await server.listen();
      logger.info(
        {
          url,
          metrics: `${server.metricsUrl}/metrics`,
          stateVersion: state.current?.version ?? null,
          tracesTo: config.telemetry?.otlpTracesEndpoint
            ? shownUrl(config.telemetry.otlpTracesEndpoint)
            : null,
        },
        'gateway listening',
      );
      return url;
    },
    stop: async () => {
      await server.close();
      await events.close();
      await limiter.close();
      await http.close();
      // The last spans are exported; an unreachable collector must not hold the stop up.
      await tracing
        ?.close()
        .catch(error =>
          logger.warn(
            { reason: String(error) },
            'exporting the last spans failed',
          ),
        );
      logger.info('gateway stopped');
    },
  };
}
