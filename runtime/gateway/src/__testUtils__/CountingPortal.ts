import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlatformEvent } from '@cellport/plugin-platform-common';

/** The portal's ingest endpoint, counting how often each event id arrives. */
export class CountingPortal {
  readonly events = new Map<string, PlatformEvent>();
  readonly deliveries = new Map<string, number>();
  private server?: Server;

  /** `port`: where it listens (again after a stop); 0 for any free one. */
  constructor(private port = 0) {}

  /** Where it listens, or will (a port given to the constructor). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const event of batch.events as PlatformEvent[]) {
          this.events.set(event.id, event);
          this.deliveries.set(
            event.id,
            (this.deliveries.get(event.id) ?? 0) + 1,
          );
        }
        res.writeHead(202).end();
      });
    });
    await new Promise<void>(resolve =>
      this.server!.listen(this.port, '127.0.0.1', () => resolve()),
    );
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }
}
