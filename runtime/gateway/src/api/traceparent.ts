import { randomHex } from './randomHex';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C traceparent to send upstream: the caller's trace id with a new span id for the
 * gateway's hop, or a new trace when the caller sent none (or an invalid one).
 */
export function nextTraceparent(
  incoming: string | string[] | undefined,
): string {
  const spanId = randomHex(8);
  const match =
    typeof incoming === 'string' ? TRACEPARENT.exec(incoming) : null;
  if (match && match[1] !== '0'.repeat(32)) {
    return `00-${match[1]}-${spanId}-${match[3]}`;
  }
  return `00-${randomHex(16)}-${spanId}-01`;
}
