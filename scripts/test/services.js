// The services the tests use for real, and the ports the browser tests' portal needs free.
'use strict';

const net = require('node:net');

/** PostgreSQL at the connection string Backstage's TestDatabases use; Redis and NATS locally. */
function requiredServices(env) {
  const postgres = new URL(
    env.BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING,
  );
  return [
    {
      name: 'PostgreSQL',
      host: postgres.hostname,
      port: Number(postgres.port || 5432),
    },
    { name: 'Redis', host: '127.0.0.1', port: 6379 },
    { name: 'NATS', host: '127.0.0.1', port: 4222 },
  ];
}

function reachable(port, host = '127.0.0.1') {
  return new Promise(resolve => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The required services that do not answer, as `name (host:port)`. */
async function missingServices(env) {
  const missing = [];
  for (const { name, host, port } of requiredServices(env)) {
    if (!(await reachable(port, host)))
      missing.push(`${name} (${host}:${port})`);
  }
  return missing;
}

/** The ports of `ports` something already listens on. */
async function busyPorts(ports) {
  const busy = [];
  for (const port of ports) if (await reachable(port)) busy.push(port);
  return busy;
}

module.exports = { busyPorts, missingServices, reachable };
