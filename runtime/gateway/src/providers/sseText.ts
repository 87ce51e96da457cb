/**
 * Line-level handling of an upstream's SSE text, shared by the OpenAI relay and the Anthropic
 * translator: CRLF and CR line ends become LF (so `\r\n\r\n`-framed events are found as soon
 * as they are complete), and every complete line is checked to be SSE.
 */

import { choicesProblem } from './choiceShape';

/**
 * An upstream's SSE text not yet taken, with line ends made LF. A CR ends its line at once,
 * even as the last character of a read: a stream framed with CR alone has every event end in
 * one, and holding it back would hold the event until the upstream's next write. The LF that
 * may open the next read is then the rest of that CRLF, not a blank line, and is dropped.
 * A byte order mark where an event would start is dropped: SSE allows one before the first.
 */
export class SseLines {
  /** Whole and partial lines not yet taken, LF-ended; callers take events off its start. */
  pending = '';
  private endedInCr = false;

  append(text: string): void {
    let rest = text;
    if (this.endedInCr && rest.charCodeAt(0) === 0x0a) rest = rest.slice(1);
    if (rest === '') {
      this.endedInCr = this.endedInCr && text === '';
      return;
    }
    this.endedInCr = rest.charCodeAt(rest.length - 1) === 0x0d;
    if (this.pending === '' && rest.charCodeAt(0) === 0xfeff) {
      rest = rest.slice(1);
    }
    this.pending += rest.includes('\r') ? rest.replace(/\r\n?/g, '\n') : rest;
  }
}

const DONE = '[DONE]';

/** No single event is this large; an upstream that never ends one is cut off here. */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/**
 * Generated text a stream may carry, kept to count its tokens when no usage comes (the OpenAI
 * relay counts it past the first MiB of events it keeps whole): over any answer's (128 choices
 * of 16K tokens are about 8 MiB), and an upstream that goes on past it is cut off rather than
 * held in memory.
 */
export const MAX_GENERATED_CHARS = 16 * 1024 * 1024;

/** The failure of a stream whose generated text went past MAX_GENERATED_CHARS. */
export const TOO_MUCH_OUTPUT = `upstream streamed more than ${MAX_GENERATED_CHARS} characters of output`;

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

const DONE_LINES = [`data: ${DONE}\n`, `data:${DONE}\n`];

/**
 * Where the `[DONE]` event of `text` (whole events, LF-ended) ends, or -1 when it holds none:
 * only a line of its own is the end of a stream, not the same text inside an event's JSON.
 */
export function doneEventEnd(text: string): number {
  // The first `[DONE]` line, whichever of its spellings.
  let at = -1;
  for (const line of DONE_LINES) {
    const found = text.startsWith(line) ? 0 : text.indexOf(`\n${line}`);
    if (found >= 0 && (at < 0 || found < at)) at = found;
  }
  if (at < 0) return -1;
  const end = text.indexOf('\n\n', at + 1);
  return end < 0 ? text.length : end + 2;
}

/** What a relay has seen of a chat stream: chunks so far, and whether the answer finished. */
export interface StreamProgress {
  /**
   * Chunks that carried a choice. Usage chunks (`choices: []`) and chunks without choices do
   * not count: a stream of them alone is no answer, whatever `[DONE]` ends it.
   */
  chunks: number;
  /** A chunk with a `finish_reason`, or `[DONE]`, came: the stream may end. */
  finished: boolean;
}

/**
 * Why the events of `text` (whole LF-ended lines, already checked by sseProblem) make the
 * stream unusable, or undefined: an event that is not a JSON object, an `error` event, or
 * `[DONE]` before any chunk with a choice. Notes such chunks and the answer's end in
 * `progress`. Only the OpenAI relay needs it: the translators parse every event anyway.
 */
export function chunkEventsProblem(
  text: string,
  progress: StreamProgress,
): string | undefined {
  const named = errorNamedEventProblem(text);
  if (named) return named;
  // Only at a line's start: another field's value may hold the text `data:`.
  let start = text.startsWith('data:') ? 0 : nextDataLine(text, 0);
  while (start >= 0) {
    let from = start + 5;
    if (text.charCodeAt(from) === 32) from += 1;
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    if (text.charCodeAt(from) === 123) {
      let chunk;
      try {
        chunk = JSON.parse(text.slice(from, end));
      } catch {
        return `upstream sent an event that is not JSON: "${text
          .slice(from, Math.min(end, from + 40))
          .replace(/[^\x20-\x7e]/g, '?')}"`;
      }
      const problem = errorEventProblem(chunk) ?? chunkShapeProblem(chunk);
      if (problem) return problem;
      if (chunk.choices?.length > 0) progress.chunks += 1;
      if (!progress.finished && finishes(chunk)) progress.finished = true;
    } else if (text.startsWith('[DONE]', from)) {
      if (progress.chunks === 0)
        return 'upstream stream ended before its first choice';
      progress.finished = true;
    }
    start = nextDataLine(text, start);
  }
  return undefined;
}

/** A chunk whose choices a caller's SDK could not read (`choicesProblem`). */
function chunkShapeProblem(chunk: any): string | undefined {
  const choices = chunk?.choices;
  // Absent or null: a usage-only chunk, as some OpenAI-compatible servers send it.
  if (choices === undefined || choices === null) return undefined;
  return Array.isArray(choices)
    ? choicesProblem(choices, 'delta')
    : 'upstream sent a chunk whose choices are not a list';
}

/**
 * OpenAI and vLLM report a failure after a stream began as an `error` event: a stream that
 * carries one failed, whatever came before it.
 */
export function errorEventProblem(chunk: any): string | undefined {
  if (!chunk?.error || Array.isArray(chunk.choices)) return undefined;
  return `upstream reported an error mid-stream: ${String(
    chunk.error.type ?? chunk.error.code ?? 'unknown',
  ).slice(0, 80)}`;
}

/**
 * An event named `error` (`event: error`), as OpenAI-compatible servers report a failure that
 * breaks a stream off: failed, whatever its data holds (a bare `{"message", "type"}` has no
 * `error` field for errorEventProblem to find).
 */
function errorNamedEventProblem(text: string): string | undefined {
  // An `error` event without data, which SSE clients drop, fails the stream too: an upstream
  // that says it failed is not trusted to have answered.
  for (
    let at = text.startsWith('event:') ? 0 : lineAfter(text, 'event:', 0);
    at >= 0;
    at = lineAfter(text, 'event:', at)
  ) {
    let from = at + 6;
    if (text.charCodeAt(from) === 32) from += 1;
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    if (end - from === 5 && text.startsWith('error', from)) {
      return `upstream reported an error mid-stream: ${errorTypeOf(text, at)}`;
    }
  }
  return undefined;
}

/** The type of the failure an `error` event starting near `at` reports, from its data. */
function errorTypeOf(text: string, at: number): string {
  const start = text.lastIndexOf('\n\n', at) + 1;
  let end = text.indexOf('\n\n', at);
  if (end < 0) end = text.length;
  const dataAt = text.startsWith('data:', start)
    ? start
    : lineAfter(text, 'data:', start);
  if (dataAt < 0 || dataAt > end) return 'error event';
  let lineEnd = text.indexOf('\n', dataAt);
  if (lineEnd < 0) lineEnd = text.length;
  let data;
  try {
    data = JSON.parse(text.slice(dataAt + 5, lineEnd));
  } catch {
    return 'error event';
  }
  const reported = data?.error ?? data;
  return String(reported?.type ?? reported?.code ?? 'error event').slice(0, 80);
}

function finishes(chunk: any): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) {
    if (choice?.finish_reason) return true;
  }
  return false;
}

/** Where the next line after `from` that starts with `data:` begins, or -1. */
function nextDataLine(text: string, from: number): number {
  return lineAfter(text, 'data:', from);
}

/** Where the next line after `from` that starts with `field` begins, or -1. */
function lineAfter(text: string, field: string, from: number): number {
  const newline = text.indexOf(`\n${field}`, from);
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
