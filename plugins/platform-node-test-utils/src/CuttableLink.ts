import knexFactory, { Knex } from 'knex';
import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pollUntil } from './pollUntil';

/**
 * A TCP link to a real server (PostgreSQL, NATS) that a test cuts and restores: a network
 * fault between the portal and that server, with the server and its data left as they were.
 */
export class CuttableLink {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens (again, on the same port once it has one); returns the port. */
  async open(): Promise<number> {
    const server = createServer(client => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => socket.destroy());
        // Either end gone takes the other with it, as a broken route would.
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>(resolve =>
      server.listen(this.port, '127.0.0.1', () => resolve()),
    );
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and refuses new ones until `open` is called again. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve =>
      server ? server.close(() => resolve()) : resolve(),
    );
  }
}

/**
 * A second connection pool to a PostgreSQL test database, through a link the test can cut;
 * `direct` stays connected to look at (and count) what the database holds meanwhile.
 */
export async function postgresThroughLink(direct: Knex) {
  const connection = direct.client.config.connection as Knex.PgConnectionConfig;
  const database = String(connection.database);
  const link = new CuttableLink({
    host: connection.host ?? '127.0.0.1',
    port: Number(connection.port ?? 5432),
  });
  const port = await link.open();
  const knex = knexFactory({
    client: 'pg',
    connection: { ...connection, host: '127.0.0.1', port },
    pool: { min: 0, max: 5 },
    // Bounded for a test: knex waits 60 s for a connection by default.
    acquireConnectionTimeout: 5_000,
    // The cut is the point; knex's warnings about it are expected.
    log: { warn() {}, error() {}, debug() {}, deprecate() {} },
  });

  /** Waits until a statement writing platform rows runs in PostgreSQL, then cuts the link. */
  const cutWhileInserting = async () => {
    await pollUntil(
      async () => {
        const { rows } = await direct.raw<{ rows: Array<{ n: number }> }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = ? and state = 'active' and query ilike 'INSERT INTO "platform_%'`,
          [database],
        );
        return rows[0].n > 0 ? true : undefined;
      },
      {
        deadlineMs: 20_000,
        intervalMs: 5,
        describe: () => 'an insert into the platform tables running',
      },
    );
    await link.cut();
  };

  return {
    link,
    knex,
    cutWhileInserting,
    async close() {
      await link.cut();
      await knex.destroy().catch(() => undefined);
    },
  };
}
