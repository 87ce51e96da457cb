import { connect, Socket } from 'node:net';

/**
 * A raw connection to `url` and what it received, its first 4 KB as text. `stalled`: it reads
 * nothing past its first bytes while it is set.
 */
export async function rawConnection(url: string, stalled = false) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const seen = { received: '', bytes: 0, closed: false, stalled };
  socket.on('error', () => undefined);
  socket.on('data', (data: Buffer) => {
    if (seen.stalled) socket.pause();
    seen.bytes += data.length;
    if (seen.received.length < 4096) {
      seen.received += data.subarray(0, 4096).toString('latin1');
    }
  });
  socket.on('close', () => {
    seen.closed = true;
  });
  await new Promise(resolve => socket.once('connect', resolve));
  return { socket, seen };
}
