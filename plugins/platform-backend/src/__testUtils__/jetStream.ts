import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS_SUBJECT_PREFIX } from '@cellport/plugin-platform-common';
import { connect, NatsConnection } from 'nats';
import { NatsIngestOptions } from '../services/ingest/NatsIngestConsumer';
import { pollUntil } from '@cellport/plugin-platform-node-test-utils';
import { freePort, startTestProcess } from './testProcess';

/** The stream and durable the portal reads in production (platform.nats's defaults). */
export const EVENTS_STREAM = 'CELLPORT_EVENTS';
export const EVENTS_DURABLE = 'platform-backend';

/** A nats-server with JetStream of one test's own, and a client of it (a gateway's). */
export interface TestJetStream {
  url: string;
  client: NatsConnection;
  /**
   * Waits until each of `durables` has acked the first `messages` messages of the stream and
   * has none pending; the deadline bounds the wait, it is not what is tested.
   */
  drained(durables: string[], messages: number): Promise<void>;
  /** Closes the client, kills the server and removes its store. */
  stop(): Promise<void>;
}

export async function startJetStream(): Promise<TestJetStream> {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'cellport-jetstream-'));
  const nats = await startTestProcess(
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
    { ready: /Server is ready/, timeoutMs: 20_000 },
  );
  const stopServer = async () => {
    await nats.kill();
    await rm(dir, { recursive: true, force: true });
  };
  const client = await connect({ servers: url }).catch(async error => {
    await stopServer();
    throw error;
  });
  return {
    url,
    client,
    async drained(durables, messages) {
      const manager = await client.jetstreamManager();
      let seen = '';
      await pollUntil(
        async () => {
          for (const durable of durables) {
            const info = await manager.consumers.info(EVENTS_STREAM, durable);
            seen = `${durable}: acked to #${info.ack_floor.stream_seq}, ${info.num_pending} pending, ${info.num_ack_pending} unacked`;
            if (
              info.ack_floor.stream_seq < messages ||
              info.num_pending !== 0 ||
              info.num_ack_pending !== 0
            ) {
              return undefined;
            }
          }
          return true;
        },
        {
          deadlineMs: 60_000,
          intervalMs: 100,
          describe: () =>
            `${durables.join(
              ', ',
            )} acked ${messages} messages; last seen ${seen}`,
        },
      );
    },
    async stop() {
      await client.close().catch(() => undefined);
      await stopServer();
    },
  };
}

/** The consumer of the portal's production configuration, on `url`, with a short retry. */
export function natsIngestOptions(
  url: string,
  durable: string = EVENTS_DURABLE,
): NatsIngestOptions {
  return {
    servers: [url],
    stream: EVENTS_STREAM,
    subjects: [`${EVENTS_SUBJECT_PREFIX}.>`],
    durable,
    batchSize: 16,
    retryDelayMs: 100,
  };
}
