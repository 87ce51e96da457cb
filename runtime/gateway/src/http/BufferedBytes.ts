/** GATEWAY_MAX_BUFFERED_BYTES's default: a quarter of the rendered gateway's 4 GiB memory limit. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024 * 1024;

/**
 * The bytes a replica's requests hold in memory: request bodies being read and upstream JSON
 * answers being read, until each request is done. Each has a cap of its own
 * (GATEWAY_MAX_BODY_BYTES, GATEWAY_UPSTREAM_MAX_ANSWER_BYTES), but a burst of large ones
 * together would run the replica out of memory, and an out-of-memory kill loses every
 * tenant's requests in flight on it. Above `capacity` (GATEWAY_MAX_BUFFERED_BYTES) a request is
 * refused with a 503 to retry, as Envoy's overload manager sheds load.
 */
export class BufferedBytes {
  held = 0;

  constructor(readonly capacity: number) {}
}

/** What one request holds of a replica's {@link BufferedBytes}; all given back when it is done. */
export class BufferHold {
  private bytes = 0;
  private done = false;

  constructor(private readonly all: BufferedBytes) {}

  /**
   * Takes `bytes` more, or nothing and false: when the replica would hold more than its
   * capacity, or this request is done (what it still reads is not its to keep).
   */
  take(bytes: number): boolean {
    const all = this.all;
    if (this.done || all.held + bytes > all.capacity) return false;
    all.held += bytes;
    this.bytes += bytes;
    return true;
  }

  /** The request is done (its response closed, or its connection): it holds nothing more. */
  release(): void {
    if (this.done) return;
    this.done = true;
    this.all.held -= this.bytes;
    this.bytes = 0;
  }

  get released(): boolean {
    return this.done;
  }
}
