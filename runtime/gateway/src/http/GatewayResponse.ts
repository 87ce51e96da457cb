import { ServerResponse } from 'node:http';
import type { BufferHold } from './BufferedBytes';

/** Who may hold a response's end back (RequestLifecycle, until its events are stored). */
export interface EndGate {
  /** True when it keeps `args` to end the response with later; false to end it now. */
  holdEnd(args: unknown[]): boolean;
}

/** Larger answers are written in slices of this many bytes (`endInSlices`). */
const SLICE_BYTES = 256 * 1024;

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
  /** An API request's share of the replica's buffered bytes (`InFlightRequests.track`). */
  memory: BufferHold | undefined = undefined;

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
    const [body] = args;
    if (
      this.clientStallTimeoutMs > 0 &&
      args.length === 1 &&
      Buffer.isBuffer(body) &&
      body.length > SLICE_BYTES
    ) {
      this.endInSlices(body);
      return this;
    }
    super.end(...(args as Parameters<ServerResponse['end']>));
    // A client that stops reading would pin the answer and its connection for ever. No
    // timer when the socket took it all at once, as it takes almost every answer.
    if (this.writableLength > 0 && this.clientStallTimeoutMs > 0) {
      this.cutOffWhenStalled(() => this.writableLength);
    }
    return this;
  }

  /**
   * Writes a large answer a slice at a time, each once the socket took the one before: a
   * write's bytes count as unread until all of them are taken, so one large write would hide a
   * slow reader's progress from the stall timer.
   */
  private endInSlices(body: Buffer): void {
    let at = 0;
    const next = (): void => {
      while (at < body.length) {
        const slice = body.subarray(at, at + SLICE_BYTES);
        at += slice.length;
        if (at === body.length) {
          super.end(slice);
          return;
        }
        if (!this.write(slice)) {
          this.once('drain', next);
          return;
        }
      }
    };
    next();
    const unread = () => this.writableLength + body.length - at;
    if (unread() > 0) this.cutOffWhenStalled(unread);
  }

  /** Destroys the response once a stall timeout passes with nothing more read. */
  private cutOffWhenStalled(unread: () => number, before = unread()): void {
    let stalled: NodeJS.Timeout | undefined = undefined;
    const stop = () => clearTimeout(stalled);
    this.once('close', stop);
    stalled = setTimeout(() => {
      this.off('close', stop);
      const now = unread();
      if (now === 0) return;
      if (now < before) {
        // The client is reading, however slowly: a slow reader is no stalled one.
        this.cutOffWhenStalled(unread, now);
      } else {
        this.destroy();
      }
    }, this.clientStallTimeoutMs);
  }
}
