import { randomHex } from './randomHex';

/**
 * Version 00, or a later version read as 00 (its first four fields; what follows them must
 * start with "-"), as W3C asks of a parser that meets a version it does not know. Version ff
 * is invalid.
 */
const TRACEPARENT =
  /^(?:00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})|(?!ff|00)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?)$/;

/** A caller's W3C trace context: whose span the gateway's hop continues. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** The sampled bit of the trace flags: whether the caller records this trace. */
  sampled: boolean;
}

/** The caller's `traceparent` header, or undefined when it is missing or invalid. */
export function parseTraceparent(
  incoming: string | string[] | undefined,
): TraceParent | undefined {
  const match =
    typeof incoming === 'string' ? TRACEPARENT.exec(incoming) : null;
  if (!match) return undefined;
  const traceId = match[1] ?? match[4];
  const spanId = match[2] ?? match[5];
  const flags = match[3] ?? match[6];
  if (traceId === '0'.repeat(32) || spanId === '0'.repeat(16)) {
    return undefined;
  }
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/**
 * The W3C traceparent to send upstream when the gateway records no span: the caller's trace
 * id with a new span id for the gateway's hop, or a new trace when the caller sent none (or an
 * invalid one).
 */
export function nextTraceparent(parent: TraceParent | undefined): string {
  const spanId = randomHex(8);
  if (parent) {
    return `00-${parent.traceId}-${spanId}-${parent.sampled ? '01' : '00'}`;
  }
  return `00-${randomHex(16)}-${spanId}-01`;
}
