/** Protobuf wire types. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const TWO_32 = 2 ** 32;

/**
 * Protobuf's wire format written into one growing buffer, in a single pass: a nested
 * message gets a one-byte length first, and the rare message of 128 bytes or more is moved
 * along to make room for a longer one, so nothing is measured twice.
 */
const INITIAL_BYTES = 64 * 1024;
/** A buffer grown past this by one huge message is let go once it has been taken. */
const KEPT_BYTES = 8 * 1024 * 1024;

export class ProtobufWriter {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private readonly open: number[] = [];
  pos = 0;

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A non-negative integer up to 2^53; a negative one as int64's ten bytes. */
  varint(value: number): void {
    if (value < 0) {
      this.negativeVarint(value);
      return;
    }
    this.reserve(8);
    const buffer = this.buffer;
    let rest = value;
    while (rest >= 0x80) {
      buffer[this.pos++] = rest % 0x80 | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    buffer[this.pos++] = rest;
  }

  fixed32(value: number): void {
    this.reserve(4);
    this.pos = this.buffer.writeUInt32LE(value >>> 0, this.pos);
  }

  /** A 64-bit value as its low and high 32 bits. */
  fixed64(low: number, high: number): void {
    this.reserve(8);
    this.buffer.writeUInt32LE(low >>> 0, this.pos);
    this.pos = this.buffer.writeUInt32LE(high >>> 0, this.pos + 4);
  }

  double(value: number): void {
    this.reserve(8);
    this.pos = this.buffer.writeDoubleLE(value, this.pos);
  }

  string(field: number, value: string): void {
    this.tag(field, WIRE.bytes);
    this.reserve(value.length * 3 + 1);
    const start = this.pos;
    const length = this.buffer.write(value, start + 1, 'utf8');
    this.pos = start + 1 + length;
    this.closeLength(start, length);
  }

  /** Bytes given as hex, as trace and span ids are kept; anything else throws. */
  hexBytes(field: number, hex: string): void {
    const length = hex.length / 2;
    this.tag(field, WIRE.bytes);
    this.varint(length);
    this.reserve(length);
    // Buffer.write stops at the first character that is not hex: the length written above
    // would then promise bytes that never come.
    const written = this.buffer.write(hex, this.pos, 'hex');
    if (written !== length) throw new TypeError(`not a hex id: ${hex}`);
    this.pos += written;
  }

  /** Opens a nested message under `field`; `endMessage` closes it. */
  beginMessage(field: number): void {
    this.tag(field, WIRE.bytes);
    this.reserve(1);
    this.open.push(this.pos);
    this.pos += 1;
  }

  endMessage(): void {
    const start = this.open.pop()!;
    this.closeLength(start, this.pos - start - 1);
  }

  /** Bytes written elsewhere, as they are. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A copy of what has been written; the writer starts again empty. */
  take(): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(0, this.pos));
    this.pos = 0;
    this.open.length = 0;
    if (this.buffer.length > KEPT_BYTES) {
      this.buffer = Buffer.allocUnsafe(INITIAL_BYTES);
    }
    return bytes;
  }

  /** Where the writer stands, to go back to if what follows cannot be written whole. */
  mark(): { pos: number; depth: number } {
    return { pos: this.pos, depth: this.open.length };
  }

  rollback(mark: { pos: number; depth: number }): void {
    this.pos = mark.pos;
    this.open.length = mark.depth;
  }

  /** Writes `length` at `start`, where one byte was kept for it. */
  private closeLength(start: number, length: number): void {
    if (length < 0x80) {
      this.buffer[start] = length;
      return;
    }
    const size = varintSize(length);
    this.reserve(size - 1);
    this.buffer.copyWithin(start + size, start + 1, this.pos);
    this.pos += size - 1;
    let rest = length;
    let at = start;
    while (rest >= 0x80) {
      this.buffer[at++] = rest % 0x80 | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[at] = rest;
  }

  private negativeVarint(value: number): void {
    // int64 two's complement: always ten bytes.
    let rest = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    this.reserve(10);
    for (let i = 0; i < 9; i++) {
      this.buffer[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.pos++] = Number(rest);
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buffer.copy(bigger, 0, 0, this.pos);
    this.buffer = bigger;
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) {
    size += 1;
  }
  return size;
}

/** Milliseconds since the epoch as fixed64 nanoseconds, without losing the microseconds. */
export function writeEpochNanos(writer: ProtobufWriter, epochMs: number): void {
  const seconds = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - seconds * 1000) * 1e6);
  // seconds * 1e9 passes 2^53: split seconds at 2^16 so that every product is exact.
  const upper = Math.floor(seconds / 65536);
  const lower = seconds - upper * 65536;
  const upperNanos = upper * 1e9; // times 2^16 still to come
  const lowerPart = lower * 1e9 + nanos;
  const upperHigh = Math.floor(upperNanos / 65536);
  const upperLow = (upperNanos - upperHigh * 65536) * 65536;
  const low = upperLow + (lowerPart % TWO_32);
  const high =
    upperHigh + Math.floor(lowerPart / TWO_32) + Math.floor(low / TWO_32);
  writer.fixed64(low % TWO_32, high);
}
