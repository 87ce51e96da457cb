/**
 * The deepest nesting a request body may have. Real requests stay far below it (a tool's JSON
 * schema rarely passes 20 levels); what lies deeper is meant to exhaust the stack of whatever
 * walks the value recursively (JSON.stringify, schema checks, translations).
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

/**
 * Finds where a JSON text nests deeper than `maxDepth`, scanning its bytes once before it is
 * parsed, so that no recursive walk ever sees a deeper value. Strings are skipped with
 * `indexOf` (native), so the cost is close to a memchr over the body. Returns the top-level
 * key the too-deep value sits under ('' when there is none), or undefined when the body is
 * shallow enough. Malformed JSON is left for JSON.parse to report.
 */
export function findTooDeepNesting(
  body: Buffer,
  maxDepth = MAX_JSON_DEPTH,
): { field: string } | undefined {
  // A body shorter than the limit cannot open more brackets than the limit.
  if (body.length <= maxDepth) {
    return undefined;
  }
  let depth = 0;
  let expectKey = false;
  let keyStart = -1;
  let keyEnd = -1;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      const end = closingQuote(body, i + 1);
      if (end < 0) {
        return undefined;
      }
      if (depth === 1 && expectKey) {
        keyStart = i;
        keyEnd = end + 1;
        expectKey = false;
      }
      i = end;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) {
        return { field: topLevelKey(body, keyStart, keyEnd) };
      }
      if (depth === 1) {
        expectKey = byte === OPEN_BRACE;
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    } else if (byte === COMMA && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}

/** The index of the quote that ends the string starting at `from`, or -1. */
function closingQuote(body: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const quote = body.indexOf(QUOTE, at);
    if (quote < 0) {
      return -1;
    }
    let backslashes = 0;
    while (body[quote - 1 - backslashes] === BACKSLASH) {
      backslashes += 1;
    }
    if (backslashes % 2 === 0) {
      return quote;
    }
    at = quote + 1;
  }
}

function topLevelKey(body: Buffer, start: number, end: number): string {
  if (start < 0 || end - start > 202) {
    return '';
  }
  try {
    return String(JSON.parse(body.toString('utf8', start, end)));
  } catch {
    return '';
  }
}
