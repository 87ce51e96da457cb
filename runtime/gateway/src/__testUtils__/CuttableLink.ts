import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP link to a real server that a test cuts and restores, pauses and resumes, or whose
 * open connections it strands: a network fault between the gateway and its Redis, with the
 * server and its data left as they were.
 */
export class CuttableLink {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private paused = false;
  private readonly held: Array<[Socket, Buffer | string]> = [];
  private readonly stranded = new WeakSet<Socket>();
  /** Connections made through the link so far. */
  connections = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens (again, on the same port once it has one); returns the port. */
  async open(): Promise<number> {
    const server = createServer(client => {
      this.connections += 1;
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      this.forward(client, upstream);
      this.forward(upstream, client);
    });
    await new Promise<void>(resolve =>
      server.listen(this.port, '127.0.0.1', () => resolve()),
    );
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /**
   * Holds every byte in both directions until `resume`, connections left open: a link that
   * hangs, as a black-holed route does until TCP gives up, rather than one that resets.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held.splice(0);
    for (const [to, data] of held) to.write(data);
  }

  /**
   * From now on drops every byte of the connections open now, in both directions, and keeps
   * them open, while new connections go through: a route that black-holes an old connection
   * (the server failed over, a NAT entry was lost) with the server reachable all along.
   */
  strand(): void {
    for (const socket of this.sockets) this.stranded.add(socket);
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', data => {
      if (this.stranded.has(from) || this.stranded.has(to)) return;
      if (this.paused) this.held.push([to, data]);
      else to.write(data);
    });
    from.on('end', () => {
      if (!this.stranded.has(from)) to.end();
    });
  }

  /** Drops every connection and refuses new ones until `open` is called again. */
  async cut(): Promise<void> {
    this.held.length = 0;
    this.paused = false;
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>(resolve =>
      server ? server.close(() => resolve()) : resolve(),
    );
  }
}
