import { decodeAnyValue, fieldsOf } from '../../__testUtils__/decodeOtlpTraces';
import { ProtobufWriter, WIRE, writeEpochNanos } from './ProtobufWriter';

describe('ProtobufWriter', () => {
  it('writes varints at every length boundary, and negative ints as int64', () => {
    const values = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 5];
    const writer = new ProtobufWriter();
    values.forEach((value, i) => {
      writer.tag(i + 1, WIRE.varint);
      writer.varint(value);
    });
    writer.tag(20, WIRE.varint);
    writer.varint(Number.MAX_SAFE_INTEGER);
    writer.tag(21, WIRE.varint);
    writer.varint(-1);
    writer.tag(22, WIRE.varint);
    writer.varint(-(2 ** 40));
    const fields = fieldsOf(writer.take());
    expect(fields.map(f => f.value)).toEqual([
      ...values.map(BigInt),
      BigInt(Number.MAX_SAFE_INTEGER),
      2n ** 64n - 1n,
      2n ** 64n - 2n ** 40n,
    ]);
    expect(fields.map(f => f.number)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 22,
    ]);
  });

  it('writes strings whose UTF-8 length passes one length byte, though their JavaScript length does not', () => {
    const strings = [
      '',
      'a'.repeat(127),
      'a'.repeat(128),
      '数'.repeat(50), // 50 characters, 150 bytes
      '🙂'.repeat(40), // 80 UTF-16 units, 160 bytes
      'x'.repeat(70_000), // a three-byte length, past the first buffer
    ];
    const writer = new ProtobufWriter();
    strings.forEach((value, i) => writer.string(i + 1, value));
    const decoded = fieldsOf(writer.take()).map(f =>
      (f.value as Buffer).toString('utf8'),
    );
    expect(decoded).toEqual(strings);
  });

  it('closes nested messages of any size, the inner ones first', () => {
    const writer = new ProtobufWriter();
    writer.beginMessage(1);
    writer.string(1, 'before');
    writer.beginMessage(2);
    for (let i = 0; i < 2000; i++) writer.string(1, `item ${i}`);
    writer.endMessage();
    writer.beginMessage(3);
    writer.endMessage();
    writer.string(4, 'after');
    writer.endMessage();
    writer.string(2, 'outside');
    const [outer, outside] = fieldsOf(writer.take());
    expect((outside.value as Buffer).toString()).toBe('outside');
    const inner = fieldsOf(outer.value as Buffer);
    expect(inner.map(f => f.number)).toEqual([1, 2, 3, 4]);
    const items = fieldsOf(inner[1].value as Buffer);
    expect(items).toHaveLength(2000);
    expect((items[1999].value as Buffer).toString()).toBe('item 1999');
    expect((inner[2].value as Buffer).length).toBe(0);
    expect((inner[3].value as Buffer).toString()).toBe('after');
  });

  it('writes doubles, fixed32 and ids given in hex', () => {
    const writer = new ProtobufWriter();
    writer.beginMessage(1);
    writer.tag(4, WIRE.fixed64);
    writer.double(0.1 + 0.2);
    writer.endMessage();
    writer.tag(2, WIRE.fixed32);
    writer.fixed32(0x301);
    writer.hexBytes(3, '0af7651916cd43dd8448eb211c80319c');
    const [anyValue, flags, id] = fieldsOf(writer.take());
    expect(decodeAnyValue(anyValue.value as Buffer)).toBe(0.1 + 0.2);
    expect(flags.value).toBe(0x301n);
    expect((id.value as Buffer).toString('hex')).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(() => new ProtobufWriter().hexBytes(1, '0af7zz')).toThrow(
      /not a hex id/,
    );
    expect(() => new ProtobufWriter().hexBytes(1, 'abc')).toThrow(
      /not a hex id/,
    );
  });

  it('writes epoch milliseconds as exact nanoseconds, past 2^53', () => {
    const instants = [
      0,
      1,
      999.999999,
      1_000,
      1_796_400_000_000, // 2026-12-04
      1_796_400_123_456.789,
      4_102_444_800_000.5, // 2100-01-01
      Date.now(),
    ];
    const writer = new ProtobufWriter();
    for (const ms of instants) {
      writer.tag(1, WIRE.fixed64);
      writeEpochNanos(writer, ms);
    }
    const written = fieldsOf(writer.take()).map(f => f.value);
    const expected = instants.map(ms => {
      const seconds = Math.floor(ms / 1000);
      const nanos = Math.round((ms - seconds * 1000) * 1e6);
      return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
    });
    expect(written).toEqual(expected);
  });
});
