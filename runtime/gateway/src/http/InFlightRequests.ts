import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BufferedBytes, BufferHold } from './BufferedBytes';

interface Tracked {
  api: boolean;
  done: boolean;
  /** An API request's bodies and answers in memory, given back when it is done. */
  hold?: BufferHold;
}

/** A request a stop can cut short with an answer (RequestLifecycle). */
export interface Interruptible {
  /** False when there was nothing left to cut. */
  interrupt(): boolean;
}

/** A held request's place in the list; `release` takes it back. */
export interface HeldRequest {
  readonly request: Interruptible;
  prev?: HeldRequest;
  next?: HeldRequest;
}

/**
 * Requests being served: the HPA's gauge reads the API's, a drain waits for all of them, and a
 * request's events are written at once when it is alone. A request counts until its response
 * closes, or its connection does: Node never closes the responses of requests still queued
 * behind another on a pipelined connection the client drops, and they must not count forever.
 */
export class InFlightRequests {
  /** Every request, health checks and scrapes included. */
  all = 0;
  /** API requests (`/v1/...`), streams included. */
  api = 0;
  private readonly bySocket = new WeakMap<Socket, Set<Tracked>>();
  private idleWaiters: Array<() => void> = [];
  /**
   * The authenticated API requests not yet ended, for a stop whose drain runs out: a list
   * whose released entries lose their links, not a Set. A Set that grows and shrinks with every
   * request is rehashed again and again, and V8 leaves each old table pointing to the next and
   * to the requests it held; once one table reached the old generation (any full collection
   * under load), that chain kept every later request's objects alive through young-generation
   * collections: 4 KB a request promoted, three times the scavenge time (`--trace-gc-nvp`
   * under load, one full collection forced mid-load through the inspector).
   */
  private first?: HeldRequest;
  private last?: HeldRequest;

  constructor(
    /** What the API requests hold in memory together (GATEWAY_MAX_BUFFERED_BYTES). */
    readonly buffered = new BufferedBytes(Infinity),
  ) {}

  hold(request: Interruptible): HeldRequest {
    const held: HeldRequest = { request, prev: this.last };
    if (this.last) this.last.next = held;
    else this.first = held;
    this.last = held;
    return held;
  }

  release(held: HeldRequest): void {
    const { prev, next } = held;
    if (prev) prev.next = next;
    else if (this.first === held) this.first = next;
    else return; // released already
    if (next) next.prev = prev;
    else this.last = prev;
    held.prev = undefined;
    held.next = undefined;
  }

  /** Cuts short every request still served (`Interruptible`); returns how many it cut. */
  interruptAll(): number {
    const requests: Interruptible[] = [];
    for (let held = this.first; held; held = held.next) {
      requests.push(held.request);
    }
    let cut = 0;
    for (const request of requests) {
      if (request.interrupt()) cut += 1;
    }
    return cut;
  }

  /**
   * Counts the request until it is done; an API request gets its share of the replica's
   * buffered bytes to take from.
   */
  track(req: IncomingMessage, res: ServerResponse): BufferHold | undefined {
    const api = req.url?.startsWith('/v1/') === true;
    const tracked: Tracked = {
      api,
      done: false,
      hold: api ? new BufferHold(this.buffered) : undefined,
    };
    this.all += 1;
    if (tracked.api) this.api += 1;
    const socket = req.socket;
    let open = this.bySocket.get(socket);
    if (!open) {
      const requests = new Set<Tracked>();
      open = requests;
      this.bySocket.set(socket, requests);
      socket.once('close', () => {
        for (const request of requests) this.finish(request, requests);
      });
    }
    open.add(tracked);
    const requests = open;
    res.once('close', () => this.finish(tracked, requests));
    return tracked.hold;
  }

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    if (this.all === 0) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  private finish(tracked: Tracked, open: Set<Tracked>): void {
    if (tracked.done) return;
    tracked.done = true;
    tracked.hold?.release();
    open.delete(tracked);
    this.all -= 1;
    if (tracked.api) this.api -= 1;
    if (this.all === 0) {
      this.idleWaiters.splice(0).forEach(resolve => resolve());
    }
  }
}
