import { ServerResponse } from 'node:http';

/** Who may hold a response's end back (RequestLifecycle, until its events are stored). */
export interface EndGate {
  /** True when it keeps `args` to end the response with later; false to end it now. */
  holdEnd(args: unknown[]): boolean;
}

/**
 * The gateway's responses: `end` asks the response's gate first, so that the last byte of an
 * answer leaves only after the request's events are in the spool, whichever code ends it.
 *
 * A method of the class, not a closure per request put on `res.end`: measured under load,
 * with those closures (and a class-field arrow per request handed to the event sink) the young
 * generation's collections kept most requests' objects alive (4.2 KB a request promoted to the
 * old generation, 0.1 KB in most runs without). What made it last was the Set of requests in
 * flight: see `InFlightRequests`.
 */
export class GatewayResponse extends ServerResponse {
  endGate: EndGate | undefined = undefined;

  /** The responses of a server whose clients must read an ended answer within `ms`. */
  static readWithin(ms: number): typeof GatewayResponse {
    return class extends GatewayResponse {
      get clientStallTimeoutMs(): number {
        return ms;
      }
    };
  }

  /** How long a client may leave its ended answer unread; 0: as long as it likes. */
  get clientStallTimeoutMs(): number {
    return 0;
  }

  end(...args: unknown[]): this {
    if (this.endGate?.holdEnd(args)) return this;
    super.end(...(args as Parameters<ServerResponse['end']>));
    // A client that stops reading would pin the answer and its connection for ever. No
    // timer when the socket took it all at once, as it takes almost every answer.
    if (this.writableLength > 0 && this.clientStallTimeoutMs > 0) {
      const stalled = setTimeout(
        () => this.destroy(),
        this.clientStallTimeoutMs,
      );
      this.once('close', () => clearTimeout(stalled));
    }
    return this;
  }
}
