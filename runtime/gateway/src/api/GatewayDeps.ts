import type { Logger } from 'pino';
import type { Provider } from '@cellport/plugin-platform-common';
import type { ApiKeyAuthenticator } from '../auth/ApiKeyAuthenticator';
import type { PromptCache } from '../cache/PromptCache';
import type { GatewayConfig } from '../config/GatewayConfig';
import type { EventSink } from '../events/EventSink';
import type { InFlightRequests } from '../http/InFlightRequests';
import type { Limiter } from '../limits/Limiter';
import type { GatewayMetrics } from '../metrics/GatewayMetrics';
import type { ProviderAdapter } from '../providers/types';
import type { UpstreamCredentials } from '../providers/UpstreamCredentials';
import type { ModelRouter } from '../router/ModelRouter';
import type { StateStore } from '../state/StateStore';
import type { GatewayTracing } from '../telemetry/GatewayTracing';
import type { FallbackExecutor } from '../upstream/FallbackExecutor';
import type { UpstreamHealth } from '../upstream/UpstreamHealth';
import type { TokenCounter } from '../usage/TokenCounter';

/** The services a request handler uses; built once by createGateway. */
export interface GatewayDeps {
  config: GatewayConfig;
  state: StateStore;
  auth: ApiKeyAuthenticator;
  router: ModelRouter;
  health: UpstreamHealth;
  executor: FallbackExecutor;
  adapters: Record<Provider, ProviderAdapter>;
  /** Which profiles' credentials this replica lacks: they are passed over. */
  credentials: UpstreamCredentials;
  limiter: Limiter;
  events: EventSink;
  inFlight: InFlightRequests;
  cache?: PromptCache;
  metrics: GatewayMetrics;
  /** OpenTelemetry traces; absent when tracing is off, and then no span is ever made. */
  tracing?: GatewayTracing;
  tokens: TokenCounter;
  logger: Logger;
  /** Wall clock, injectable for tests of time windows and key expiry. */
  now: () => number;
}
