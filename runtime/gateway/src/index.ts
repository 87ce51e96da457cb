/**
 * Cellport's AI gateway and LLM router.
 *
 * @packageDocumentation
 */
import { readGatewayConfig } from './config/GatewayConfig';
import { createGateway, type Gateway } from './createGateway';

export {
  createGateway,
  type Gateway,
  type GatewayOverrides,
} from './createGateway';
export { readGatewayConfig, type GatewayConfig } from './config/GatewayConfig';
export { hashApiKey } from './auth/ApiKeyAuthenticator';
export {
  complexityScore,
  decideRoute,
  StaticUpstreams,
} from '@cellport/router';
export { ModelRouter } from './router/ModelRouter';
export { UpstreamHealth } from './upstream/UpstreamHealth';
export { compileState } from './state/CompiledState';

/** Starts the gateway from environment variables; drains and stops on SIGINT/SIGTERM. */
export async function runGatewayFromEnv(): Promise<void> {
  const gateway = await createGateway(readGatewayConfig(process.env));
  const started = gateway.start();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { shutdownDelayMs, drainTimeoutMs } = gateway.deps.config;
    gateway.deps.logger.info(
      { signal, shutdownDelayMs, drainTimeoutMs },
      shutdownDelayMs > 0
        ? 'not ready: serving on while the Service lets go, then draining in-flight requests'
        : 'draining in-flight requests',
    );
    started
      .catch(() => undefined)
      .then(() => gateway.stop())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  // In the same turn as `start`, before it can log that it listens: a supervisor may signal
  // as soon as it reads that line, and a process still without handlers would die of the
  // default action. `on`, not `once`: a second signal (Ctrl-C reaching a process group twice,
  // an operator after the orchestrator) must find the handler, or Node's default kills the
  // drain.
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // What operators send to reload a server's configuration; Node's default would kill the
  // process and every stream under way.
  process.on('SIGHUP', () => reload(gateway));
  await started;
}

/** SIGHUP: the state file read again and applied as a push would be; the state in force stays on failure. */
function reload(gateway: Gateway): void {
  const { logger, config, state } = gateway.deps;
  if (!config.stateFile) {
    logger.warn(
      { signal: 'SIGHUP' },
      'no GATEWAY_STATE_FILE to reload: the state comes from the control API',
    );
    return;
  }
  state.reloadFile(config.stateFile).then(
    ({ version, changed }) =>
      logger.info(
        { signal: 'SIGHUP', file: config.stateFile, version, changed },
        'desired state reloaded from file',
      ),
    error =>
      logger.error(
        { signal: 'SIGHUP', file: config.stateFile, reason: String(error) },
        'reloading the state file failed; the state in force stays',
      ),
  );
}

if (require.main === module) {
  runGatewayFromEnv().catch(error => {
    // eslint-disable-next-line no-console
    console.error(`gateway failed to start: ${(error as Error).message}`);
    process.exit(1);
  });
}
