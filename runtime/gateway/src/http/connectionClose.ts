import type { Socket } from 'node:net';

const listeners = new WeakMap<Socket, Set<() => void>>();

/**
 * Calls `listener` when `socket` closes; returns what stops it. One `close` listener a
 * connection, however many requests wait on it: a client pipelining dozens of requests
 * would otherwise add as many listeners (and Node's warning past ten).
 */
export function onConnectionClose(
  socket: Socket,
  listener: () => void,
): () => void {
  let waiting = listeners.get(socket);
  if (!waiting) {
    const all = new Set<() => void>();
    waiting = all;
    listeners.set(socket, all);
    socket.once('close', () => {
      listeners.delete(socket);
      for (const waiter of all) waiter();
    });
  }
  waiting.add(listener);
  const registered = waiting;
  return () => registered.delete(listener);
}
