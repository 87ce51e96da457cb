import { Middleware, RequestContext } from '@kubernetes/client-node';
import type { Agent } from 'node:http';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

type CreateConnectionArgs = Parameters<Agent['createConnection']>;

/** What became of one request's connection. */
export interface ConnectionState {
  /** The connection (and its TLS handshake) came up, so the request may have gone out. */
  connected: boolean;
  /** Node sets it on a TLS socket whose peer's certificate failed verification. */
  certificateRejected: boolean;
}

/**
 * Watches the connection of each client-node request, so that a failure can say whether the
 * request was sent: a refused connection, an unknown host or a rejected certificate sent
 * nothing, while a connection that broke or timed out after coming up leaves the outcome
 * unknown. client-node gives every request an agent of its own (KubeConfig makes one per
 * request), so wrapping that agent's `createConnection`, as Node documents for agents, sees
 * exactly that request's socket.
 */
export class ConnectionWatch {
  private readonly connections = new WeakMap<
    RequestContext,
    { socket: Socket; connected: boolean }
  >();

  /** A client-node middleware; it runs after KubeConfig has given the request its agent. */
  readonly middleware: Middleware = {
    pre: async context => {
      const agent = context.getAgent();
      if (agent) {
        const create = agent.createConnection.bind(agent);
        agent.createConnection = (...args: CreateConnectionArgs) => {
          const socket = create(...args);
          if (socket instanceof Socket) this.watch(context, socket);
          return socket;
        };
      }
      return context;
    },
    post: async response => response,
  };

  state(context: RequestContext): ConnectionState {
    const connection = this.connections.get(context);
    return {
      connected: connection?.connected ?? false,
      certificateRejected: Boolean(
        (connection?.socket as TLSSocket | undefined)?.authorizationError,
      ),
    };
  }

  private watch(context: RequestContext, socket: Socket) {
    const connection = { socket, connected: false };
    this.connections.set(context, connection);
    socket.once(
      socket instanceof TLSSocket ? 'secureConnect' : 'connect',
      () => (connection.connected = true),
    );
  }
}
