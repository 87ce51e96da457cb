/** The longest wait the gateway passes on: a later date is a broken clock, not advice. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Seconds an upstream asked its callers to wait (`Retry-After`: delta-seconds or an HTTP
 * date, RFC 9110), rounded up; undefined when it sent none, or garbage.
 */
export function retryAfterSeconds(
  header: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  let seconds: number;
  if (/^\d{1,10}$/.test(text)) {
    seconds = Number(text);
  } else {
    const at = Date.parse(text);
    // Date.parse takes much that is no HTTP date ("1.5", "soon 2"): a weekday's name leads one.
    if (Number.isNaN(at) || !/^[A-Za-z]{3},/.test(text)) return undefined;
    seconds = Math.ceil(Math.max(0, at - now) / 1000);
  }
  return seconds <= MAX_RETRY_AFTER_SECONDS ? seconds : undefined;
}
