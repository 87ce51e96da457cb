import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort, startNatsServer } from '../__testUtils__/processes';
import { EventBatch } from './EventBatch';
import { EVENTS_STREAM, NatsTransport } from './NatsTransport';

// NATS servers of the test's own: one whose max_payload is small, one frozen (SIGSTOP) while
// the transport closes.
jest.setTimeout(30_000);

/** Events as a spool segment holds them. */
const batchOf = (events: string[]) =>
  EventBatch.fromSegment(Buffer.from(events.map(json => `${json}\n`).join('')));

async function natsServer(config = '') {
  const dir = mkdtempSync(join(tmpdir(), 'cellport-nats-'));
  const configFile = join(dir, 'nats.conf');
  writeFileSync(configFile, config);
  const port = await freePort();
  const server = await startNatsServer(port, join(dir, 'store'), configFile);
  return { server, url: `127.0.0.1:${port}` };
}

describe('NatsTransport against the server it has', () => {
  it("publishes a batch whose message fits the server's max_payload only without its headers", async () => {
    const maxPayload = 64 * 1024;
    const { server, url } = await natsServer(`max_payload: ${maxPayload}\n`);
    const transport = new NatsTransport(url);
    const nc = await connect({ servers: url });
    try {
      const cell = 'small-payload';
      const event = (id: string, padding: number) =>
        JSON.stringify({ id, cell, padding: 'x'.repeat(padding) });
      // Two events whose one message would be 20 bytes under the limit: its Nats-Msg-Id
      // header (about 75 bytes) takes it over, and the server refused it on every retry.
      const first = event('first', 30_000);
      const size = (padding: number) =>
        batchOf([first, event('second', padding)]).toJsonBody().length;
      const padding = 30_000 + (maxPayload - 20 - size(30_000));
      expect(size(padding)).toBe(maxPayload - 20);

      await transport.send(batchOf([first, event('second', padding)]));

      const jsm = await nc.jetstreamManager();
      const stored = await jsm.streams.info(EVENTS_STREAM, {
        subjects_filter: `cellport.events.${cell}`,
      });
      expect(stored.state.subjects?.[`cellport.events.${cell}`]).toBe(2);
    } finally {
      await transport.close();
      await nc.close();
      await server.kill();
    }
  });

  it('closes, and lets the gateway stop, while its server is frozen', async () => {
    const { server, url } = await natsServer();
    const transport = new NatsTransport(url);
    try {
      await transport.send(
        batchOf([JSON.stringify({ id: 'before', cell: 'frozen' })]),
      );
      server.child.kill('SIGSTOP');
      // Bounded: a drain that waited for the server held a SIGTERM's stop until it thawed.
      const closed = await Promise.race([
        transport.close().then(() => 'closed'),
        new Promise(resolve => setTimeout(resolve, 10_000, 'still closing')),
      ]);
      expect(closed).toBe('closed');
    } finally {
      server.child.kill('SIGCONT');
      await server.kill();
    }
  });
});
