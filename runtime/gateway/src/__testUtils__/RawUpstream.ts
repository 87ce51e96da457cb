import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamAnswer = (
  req: IncomingMessage,
  res: ServerResponse,
) => void;

/** An upstream over plain node:http that answers whatever the test tells it to. */
export class RawUpstream {
  answer: UpstreamAnswer = (_req, res) => res.writeHead(500).end();
  calls = 0;
  protected readonly server: Server = createServer((req, res) => {
    this.calls += 1;
    req.resume();
    req.on('end', () => this.answer(req, res));
  });

  async start(): Promise<string> {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', () => resolve()),
    );
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
