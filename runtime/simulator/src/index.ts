/**
 * Cellport's inference simulator: an OpenAI- and Anthropic-compatible upstream that simulates
 * models (latency, tokens, errors, outages on command).
 *
 * @packageDocumentation
 */
import pino from 'pino';
import { readSimulatorConfigFromEnv } from './config/SimulatorConfig';
import { SimulatorServer } from './SimulatorServer';

export { SimulatorServer } from './SimulatorServer';
export {
  parseSimulatorConfig,
  readSimulatorConfigFromEnv,
  type SimulatorConfig,
  type SimulatorConfigInput,
  type ModelBehaviour,
} from './config/SimulatorConfig';
export type { Fault } from './faults/FaultInjector';
export type { SimulatorCounters } from './api/SimulatorStats';

/** Starts the simulator from environment variables and stops it on SIGINT/SIGTERM. */
export async function runSimulatorFromEnv(): Promise<void> {
  const logger = pino({
    name: 'cellport-simulator',
    level: process.env.LOG_LEVEL ?? 'info',
  });
  const server = new SimulatorServer(
    readSimulatorConfigFromEnv(process.env),
    logger,
  );
  const started = server.start();
  const shutdown = () => {
    logger.info('simulator stopping');
    started
      .catch(() => undefined)
      .then(() => server.stop())
      .then(() => process.exit(0));
  };
  // In the same turn as `start`, before it can say it listens: a signal sent on that line must
  // find the handler (the gateway's `runGatewayFromEnv` says why).
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await started;
}

if (require.main === module) {
  runSimulatorFromEnv().catch(error => {
    // eslint-disable-next-line no-console
    console.error(`simulator failed to start: ${(error as Error).message}`);
    process.exit(1);
  });
}
