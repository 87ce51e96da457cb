import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';

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

  /**
   * Whether its file was deleted from under the spool (the directory with it): its bytes are
   * still behind the descriptor, and lost when it closes. One `fstat`.
   */
  orphaned(): boolean {
    return fstatSync(this.fd).nlink === 0;
  }

  /**
   * Writes its whole lines, read back from its descriptor, to a new file at `path`, fsynced:
   * an orphaned segment sealed again. Returns the bytes written.
   */
  copyTo(path: string): number {
    const bytes = Buffer.alloc(this.bytes);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(this.fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    const whole = bytes.subarray(0, bytes.lastIndexOf(10, read - 1) + 1);
    const fd = openSync(path, 'wx');
    try {
      for (let at = 0; at < whole.length; ) {
        at += writeSync(fd, whole, at, whole.length - at);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return whole.length;
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
