import { createHash } from 'node:crypto';

const PREFIX = '{"events":[';
/** What a body adds to its events' lines: the prefix, and `]}` for the last newline. */
const FRAME_BYTES = PREFIX.length + 1;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * A spool segment's whole events as the spool holds them: one JSON document a line, each
 * ending with a newline (JSON.stringify escapes every newline inside an event, so a newline
 * byte only ever ends one).
 */
export class EventBatch {
  private constructor(private readonly lines: Buffer, readonly count: number) {}

  /** The complete lines of a segment's bytes: a torn last line and blank lines are left out. */
  static fromSegment(bytes: Buffer): EventBatch {
    let lines = bytes.subarray(0, bytes.lastIndexOf(NEWLINE) + 1);
    if (lines[0] === NEWLINE || lines.includes('\n\n')) {
      const kept = lines
        .toString('utf8')
        .split('\n')
        .filter(line => line.length > 0);
      lines = Buffer.from(kept.map(line => `${line}\n`).join(''));
    }
    let count = 0;
    for (
      let at = lines.indexOf(NEWLINE);
      at >= 0;
      at = lines.indexOf(NEWLINE, at + 1)
    ) {
      count += 1;
    }
    return new EventBatch(lines, count);
  }

  /**
   * The portal's ingest body, `{"events":[...]}`, made from the bytes as they are: no
   * decoding, splitting or joining, which cost five times as much CPU as the POST itself.
   */
  toJsonBody(): Buffer {
    if (this.count === 0) return Buffer.from(`${PREFIX}]}`);
    const body = Buffer.allocUnsafe(PREFIX.length + this.lines.length + 1);
    body.write(PREFIX, 0, 'latin1');
    this.lines.copy(body, PREFIX.length);
    // Each event's newline becomes the comma after it; the last one, the closing bracket.
    for (
      let at = body.indexOf(NEWLINE, PREFIX.length);
      at >= 0;
      at = body.indexOf(NEWLINE, at + 1)
    ) {
      body[at] = COMMA;
    }
    body[body.length - 2] = CLOSE_ARRAY;
    body[body.length - 1] = CLOSE_OBJECT;
    return body;
  }

  /** Bytes of the ingest body {@link toJsonBody} makes. */
  get bodyBytes(): number {
    return this.count === 0
      ? PREFIX.length + 2
      : FRAME_BYTES + this.lines.length;
  }

  /**
   * The batch cut, in order, into parts whose ingest bodies are at most `maxBodyBytes`: an
   * event larger than that alone is a part of its own. Cut by bytes on the wire, not
   * characters or events (600 routing candidates make one event 55 KB), and only by the
   * events, so the same events are always cut the same way. No part when there is no event.
   */
  split(maxBodyBytes: number): EventBatch[] {
    const parts: EventBatch[] = [];
    let start = 0;
    let end = 0;
    let count = 0;
    for (
      let at = this.lines.indexOf(NEWLINE);
      at >= 0;
      at = this.lines.indexOf(NEWLINE, at + 1)
    ) {
      if (count > 0 && FRAME_BYTES + at + 1 - start > maxBodyBytes) {
        parts.push(new EventBatch(this.lines.subarray(start, end), count));
        start = end;
        count = 0;
      }
      end = at + 1;
      count += 1;
    }
    if (count > 0) {
      parts.push(new EventBatch(this.lines.subarray(start, end), count));
    }
    return parts;
  }

  /** Two parts of about half the events each, in order; a batch of one event is itself. */
  halves(): EventBatch[] {
    if (this.count < 2) return [this];
    let end = 0;
    for (let i = 0; i < Math.ceil(this.count / 2); i++) {
      end = this.lines.indexOf(NEWLINE, end) + 1;
    }
    return [
      new EventBatch(this.lines.subarray(0, end), Math.ceil(this.count / 2)),
      new EventBatch(this.lines.subarray(end), Math.floor(this.count / 2)),
    ];
  }

  /** A digest of the events, the same whenever the same events are read: a message id. */
  digest(): string {
    return createHash('sha256').update(this.lines).digest('hex');
  }

  /**
   * The first event's JSON text: all a transport reads of a batch it sends whole. Decoding
   * and splitting the whole batch for it cost the NATS transport a string per event.
   */
  firstEvent(): string | undefined {
    if (this.count === 0) return undefined;
    return this.lines.toString('utf8', 0, this.lines.indexOf(NEWLINE));
  }

  /** Each event's JSON text, for transports that split a batch. */
  events(): string[] {
    if (this.count === 0) return [];
    const events = this.lines.toString('utf8').split('\n');
    events.pop();
    return events;
  }
}
