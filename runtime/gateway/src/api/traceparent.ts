import { randomHex } from './randomHex';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

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
  if (!match || match[1] === '0'.repeat(32) || match[2] === '0'.repeat(16)) {
    return undefined;
  }
  return {
    traceId: match[1],
    spanId: match[2],
    sampled: (parseInt(match[3], 16) & 1) === 1,
  };
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
