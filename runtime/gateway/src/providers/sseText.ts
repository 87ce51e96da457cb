/**
 * Line-level handling of an upstream's SSE text, shared by the OpenAI relay and the Anthropic
 * translator: CRLF and CR line ends become LF (so `\r\n\r\n`-framed events are found as soon
 * as they are complete), and every complete line is checked to be SSE.
 */

/** Appends upstream text to the unfinished rest, with line ends made LF. */
export function appendSseText(pending: string, text: string): string {
  if (!text.includes('\r') && !pending.endsWith('\r')) {
    return pending + text;
  }
  let joined = pending + text;
  // A CR at the very end may be the first half of a CRLF split across two reads.
  const trailingCr = joined.endsWith('\r');
  if (trailingCr) {
    joined = joined.slice(0, -1);
  }
  joined = joined.replace(/\r\n?/g, '\n');
  return trailingCr ? `${joined}\r` : joined;
}

const DONE = '[DONE]';

/** No single event is this large; an upstream that never ends one is cut off here. */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/**
 * Checks the unfinished rest of a stream: its complete lines must already be SSE (so garbage
 * is caught at its first line, not when the stream ends), and it must stay under
 * MAX_EVENT_CHARS. Returns the problem, if any.
 */
export function pendingProblem(pending: string): string | undefined {
  if (pending.length > MAX_EVENT_CHARS) {
    return `upstream sent an event longer than ${MAX_EVENT_CHARS} characters`;
  }
  const lastLine = pending.lastIndexOf('\n');
  return lastLine < 0 ? undefined : sseProblem(pending, lastLine);
}

/**
 * Why `text` (whole LF-ended lines) is not an SSE stream of JSON events, or undefined when it
 * is. A line must be blank, a comment, an `event:` / `id:` / `retry:` field, or `data:` with a
 * JSON object, `[DONE]` or nothing. The payload is checked here by its first and last
 * character only (a line may still be incomplete); invalidJsonProblem parses whole events.
 */
export function sseProblem(
  text: string,
  upTo = text.length,
): string | undefined {
  let start = 0;
  while (start < upTo) {
    let end = text.indexOf('\n', start);
    if (end < 0 || end > upTo) end = upTo;
    if (end > start && !sseLineOk(text, start, end)) {
      return `upstream sent a line that is not SSE: "${text
        .slice(start, Math.min(end, start + 40))
        .replace(/[^\x20-\x7e]/g, '?')}"`;
    }
    start = end + 1;
  }
  return undefined;
}

/**
 * Why an event of `text` (whole LF-ended lines, already checked by sseProblem) does not carry
 * a JSON object, or undefined when every one does. Only the OpenAI relay needs it: the
 * translators parse every event anyway.
 */
export function invalidJsonProblem(text: string): string | undefined {
  // Only at a line's start: another field's value may hold the text `data:`.
  let start = text.startsWith('data:') ? 0 : nextDataLine(text, 0);
  while (start >= 0) {
    let from = start + 5;
    if (text.charCodeAt(from) === 32) from += 1;
    if (text.charCodeAt(from) === 123) {
      let end = text.indexOf('\n', from);
      if (end < 0) end = text.length;
      try {
        JSON.parse(text.slice(from, end));
      } catch {
        return `upstream sent an event that is not JSON: "${text
          .slice(from, Math.min(end, from + 40))
          .replace(/[^\x20-\x7e]/g, '?')}"`;
      }
    }
    start = nextDataLine(text, start);
  }
  return undefined;
}

/** Where the next line after `from` that starts with `data:` begins, or -1. */
function nextDataLine(text: string, from: number): number {
  const newline = text.indexOf('\ndata:', from);
  return newline < 0 ? -1 : newline + 1;
}

function sseLineOk(text: string, start: number, end: number): boolean {
  if (text.startsWith('data:', start)) {
    let from = start + 5;
    if (text.charCodeAt(from) === 32) from += 1;
    if (
      end === from ||
      (end - from === DONE.length && text.startsWith(DONE, from))
    ) {
      return true;
    }
    // '{' ... '}'
    return (
      end - from >= 2 &&
      text.charCodeAt(from) === 123 &&
      text.charCodeAt(end - 1) === 125
    );
  }
  return (
    text.charCodeAt(start) === 58 || // ':' starts a comment
    text.startsWith('event:', start) ||
    text.startsWith('id:', start) ||
    text.startsWith('retry:', start)
  );
}
