import { ProtobufWriter, WIRE, writeEpochNanos } from './ProtobufWriter';
import type { AttributeValue, Attributes, RecordedSpan } from './RecordedSpan';

/** W3C trace flags (sampled) with OTLP's "parent is remote, or not" bits. */
const FLAGS = { sampled: 0x01, hasIsRemote: 0x100, isRemote: 0x200 };

/** One `Span` message of OTLP's trace proto, as field `field` of its `ScopeSpans`. */
export function encodeSpan(
  writer: ProtobufWriter,
  field: number,
  span: RecordedSpan,
): void {
  writer.beginMessage(field);
  writer.hexBytes(1, span.traceId);
  writer.hexBytes(2, span.spanId);
  if (span.parent) writer.hexBytes(4, span.parent.spanId);
  writer.string(5, span.name);
  writer.tag(6, WIRE.varint);
  writer.varint(span.kind);
  writer.tag(7, WIRE.fixed64);
  writeEpochNanos(writer, span.startMs);
  writer.tag(8, WIRE.fixed64);
  writeEpochNanos(writer, span.endMs);
  encodeAttributes(writer, 9, span.attributes);
  writer.beginMessage(15);
  if (span.statusMessage) writer.string(2, span.statusMessage);
  if (span.statusCode) {
    writer.tag(3, WIRE.varint);
    writer.varint(span.statusCode);
  }
  writer.endMessage();
  writer.tag(16, WIRE.fixed32);
  writer.fixed32(
    FLAGS.sampled |
      FLAGS.hasIsRemote |
      (span.parent?.remote ? FLAGS.isRemote : 0),
  );
  writer.endMessage();
}

/** Attributes as repeated `KeyValue` under `field`. */
export function encodeAttributes(
  writer: ProtobufWriter,
  field: number,
  attributes: Attributes,
): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    if (!encodable(value)) continue;
    writer.beginMessage(field);
    writer.string(1, key);
    writer.beginMessage(2);
    encodeAnyValue(writer, value);
    writer.endMessage();
    writer.endMessage();
  }
}

/**
 * What OTLP's AnyValue can hold of an attribute: a string, number, boolean or an array of
 * them. Anything else (null, an object, a bigint) is left out, as the SDK leaves it out.
 */
function encodable(value: unknown): value is AttributeValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    default:
      return Array.isArray(value) && value.every(encodable);
  }
}

function encodeAnyValue(writer: ProtobufWriter, value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      writer.string(1, value);
      return;
    case 'boolean':
      writer.tag(2, WIRE.varint);
      writer.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        writer.tag(3, WIRE.varint);
        writer.varint(value);
      } else {
        writer.tag(4, WIRE.fixed64);
        writer.double(value);
      }
      return;
    default:
      writer.beginMessage(5);
      for (const item of value) {
        writer.beginMessage(1);
        encodeAnyValue(writer, item);
        writer.endMessage();
      }
      writer.endMessage();
  }
}
