import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayDesiredState } from '@cellport/plugin-platform-common';
import { postChat } from './fixtures';
import { startGatewayProcess, TestProcess } from './processes';

/**
 * A work folder of the test's own for gateway processes: `state` in a state file, and the
 * environment of a gateway that spools its events there and sends them to `portalUrl`.
 */
export function spooledGatewayWork(state: GatewayDesiredState) {
  const work = mkdtempSync(join(tmpdir(), 'cellport-spooled-'));
  const stateFile = join(work, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state));
  const spoolDir = join(work, 'spool');
  return {
    work,
    spoolDir,
    env: (
      portalUrl: string,
      extra: NodeJS.ProcessEnv = {},
    ): NodeJS.ProcessEnv => ({
      GATEWAY_STATE_FILE: stateFile,
      GATEWAY_EVENTS: 'http',
      GATEWAY_EVENTS_URL: portalUrl,
      GATEWAY_EVENTS_TOKEN: 'portal-token',
      GATEWAY_SPOOL_DIR: spoolDir,
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
      ...extra,
    }),
  };
}

/** Gateway processes a test started; `killAll` ends those still running. */
export class GatewayProcesses {
  private readonly all: TestProcess[] = [];

  async start(env: NodeJS.ProcessEnv): Promise<TestProcess & { url: string }> {
    const gateway = await startGatewayProcess(env);
    this.all.push(gateway);
    return gateway;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map(gateway => gateway.kill()));
  }
}

/**
 * Chat request `i` (streamed one in three) as Northwind's caller: its status and request id
 * once the whole answer arrived. A stream cut short throws.
 */
export async function chatOnce(
  url: string,
  i: number,
): Promise<{ status: number; id: string }> {
  const stream = i % 3 === 0;
  const response = await postChat(
    url,
    {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `spooled ${i}` }],
      stream,
    },
    { signal: AbortSignal.timeout(15_000) },
  );
  const text = await response.text();
  if (response.status === 200 && stream && !text.includes('data: [DONE]')) {
    throw new Error('stream cut short');
  }
  return {
    status: response.status,
    id: response.headers.get('x-request-id') ?? '',
  };
}

/** Segments in a spool that hold events (sealed or open), its dead-letter folder left out. */
export function spoolSegments(spoolDir: string): string[] {
  try {
    return readdirSync(spoolDir).filter(name => {
      if (name === 'dead' || name === 'owner.lock') return false;
      try {
        return statSync(join(spoolDir, name)).size > 0;
      } catch {
        return false; // Sent and deleted meanwhile.
      }
    });
  } catch {
    return [];
  }
}

/** Segments set aside in the spool's dead-letter folder: events lost for good. */
export function deadLetters(spoolDir: string): string[] {
  try {
    return readdirSync(join(spoolDir, 'dead'));
  } catch {
    return [];
  }
}
