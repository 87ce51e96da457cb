/**
 * A reader of OTLP's trace protobuf (`ExportTraceServiceRequest`), for tests: the fields a
 * test asserts, decoded from the wire as a collector would, written from the proto's field
 * numbers rather than with the encoder under test.
 */

/** One span of an export request, ids in hex, attributes decoded. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client. */
  kind: number;
  /** OTLP's numbering: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage?: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  flags: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
}

type Field = { number: number; value: bigint | Buffer };

/** The fields of one message, in order; varints and fixed values as bigint, the rest as bytes. */
export function fieldsOf(message: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= message.length) throw new Error('truncated varint');
      const byte = message[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (at < message.length) {
    const key = Number(varint());
    const wireType = key & 7;
    const number = key >>> 3;
    if (wireType === 0) {
      fields.push({ number, value: varint() });
    } else if (wireType === 1) {
      fields.push({ number, value: message.readBigUInt64LE(at) });
      at += 8;
    } else if (wireType === 5) {
      fields.push({ number, value: BigInt(message.readUInt32LE(at)) });
      at += 4;
    } else if (wireType === 2) {
      const length = Number(varint());
      if (at + length > message.length) throw new Error('truncated message');
      fields.push({ number, value: message.subarray(at, at + length) });
      at += length;
    } else {
      throw new Error(`unexpected wire type ${wireType}`);
    }
  }
  return fields;
}

const bytes = (fields: Field[], number: number) =>
  fields.filter(f => f.number === number).map(f => f.value as Buffer);
const one = (fields: Field[], number: number) =>
  fields.find(f => f.number === number)?.value;

/** An AnyValue: string, bool, int, double or array, as JavaScript values. */
export function decodeAnyValue(message: Buffer): unknown {
  const [field] = fieldsOf(message);
  if (!field) return undefined;
  switch (field.number) {
    case 1:
      return (field.value as Buffer).toString('utf8');
    case 2:
      return field.value === 1n;
    case 3:
      return Number(BigInt.asIntN(64, field.value as bigint));
    case 4: {
      const buffer = Buffer.alloc(8);
      buffer.writeBigUInt64LE(field.value as bigint);
      return buffer.readDoubleLE(0);
    }
    case 5:
      return bytes(fieldsOf(field.value as Buffer), 1).map(decodeAnyValue);
    default:
      throw new Error(`unexpected AnyValue field ${field.number}`);
  }
}

function decodeAttributes(keyValues: Buffer[]): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const keyValue of keyValues) {
    const fields = fieldsOf(keyValue);
    const key = (one(fields, 1) as Buffer).toString('utf8');
    attributes[key] = decodeAnyValue(one(fields, 2) as Buffer);
  }
  return attributes;
}

const hex = (value: unknown) =>
  value instanceof Buffer && value.length > 0
    ? value.toString('hex')
    : undefined;

/** The spans of an `ExportTraceServiceRequest`. */
export function decodeOtlpTraces(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of bytes(fieldsOf(body), 1)) {
    const fields = fieldsOf(resourceSpans);
    const resourceMessage = one(fields, 1) as Buffer | undefined;
    const resource = resourceMessage
      ? decodeAttributes(bytes(fieldsOf(resourceMessage), 1))
      : {};
    for (const scopeSpans of bytes(fields, 2)) {
      const scopeFields = fieldsOf(scopeSpans);
      const scopeMessage = one(scopeFields, 1) as Buffer | undefined;
      const scope = scopeMessage
        ? String((one(fieldsOf(scopeMessage), 1) as Buffer) ?? '')
        : '';
      for (const span of bytes(scopeFields, 2)) {
        const f = fieldsOf(span);
        const status = fieldsOf((one(f, 15) as Buffer) ?? Buffer.alloc(0));
        const message = one(status, 2) as Buffer | undefined;
        spans.push({
          traceId: hex(one(f, 1))!,
          spanId: hex(one(f, 2))!,
          parentSpanId: hex(one(f, 4)),
          name: String((one(f, 5) as Buffer) ?? ''),
          kind: Number(one(f, 6) ?? 0n),
          statusCode: Number(one(status, 3) ?? 0n),
          statusMessage: message?.toString('utf8'),
          startTimeUnixNano: (one(f, 7) as bigint) ?? 0n,
          endTimeUnixNano: (one(f, 8) as bigint) ?? 0n,
          flags: Number(one(f, 16) ?? 0n),
          attributes: decodeAttributes(bytes(f, 9)),
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}
