import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayDesiredState } from '@cellport/plugin-platform-common';
import { startGatewayProcess, TestProcess } from './processes';

/**
 * A gateway process that reads `state` from a state file of its own, with events off and
 * neither Redis nor NATS: for tests of what the process does on its own (its telemetry, its
 * shutdown), where the portal and the shared counters would only add moving parts.
 */
export function startStateFileGateway(
  state: GatewayDesiredState,
  env: NodeJS.ProcessEnv = {},
): Promise<TestProcess & { url: string; stateFile: string }> {
  const work = mkdtempSync(join(tmpdir(), 'cellport-state-file-'));
  const stateFile = join(work, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state));
  return startGatewayProcess({
    GATEWAY_STATE_FILE: stateFile,
    GATEWAY_EVENTS: 'off',
    GATEWAY_SPOOL_DIR: join(work, 'spool'),
    GATEWAY_REDIS_URL: '',
    GATEWAY_NATS_URL: '',
    ...env,
  }).then(gateway => Object.assign(gateway, { stateFile }));
}
