import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/**
 * The segment the request path appends to: one `write(2)` per turn of the event loop (the
 * events of the requests that ended in it) into the page cache, no fsync, so a response
 * leaves only after its events are in the file and a killed process (not a crashed machine)
 * loses none. Only the flusher fsyncs it, when it is sealed.
 */
export class OpenSegment {
  /** Bytes known to be whole in the file: everything up to the last successful write. */
  bytes = 0;
  events = 0;
  private readonly fd: number;

  /**
   * Opens the file at `path`, unless `fd` is one already opened there (the spool opens the
   * next segment ahead, off the request path). 'wx+': a segment name is never reused, so an
   * existing file would be someone else's; readable too, so that a segment deleted from under
   * the spool can be read back from its descriptor (`DiskSpool.rescue`).
   */
  constructor(readonly path: string, fd?: number) {
    this.fd = fd ?? openSync(path, 'wx+');
  }

  /**
   * Appends whole lines. On a failed or short write the file is cut back to its last whole
   * line and the error is thrown: a half-written line must not poison the segment.
   */
  append(lines: string, events: number): void {
    const expected = Buffer.byteLength(lines);
    let written = 0;
    try {
      written = writeSync(this.fd, lines, this.bytes);
    } finally {
      if (written !== expected) {
        try {
          ftruncateSync(this.fd, this.bytes);
        } catch {
          // The file is unusable; the caller rotates away from it.
        }
      }
    }
    if (written !== expected) {
      throw new Error(
        `short write to the event spool (${written}/${expected})`,
      );
    }
    this.bytes += written;
    this.events += events;
  }

  /** Hands the descriptor to the sealer; nothing may be appended afterwards. */
  detach(): number {
    return this.fd;
  }

  closeQuietly(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }
}
