import { extractOpenAiUsage } from './extractUsage';
import {
  choicesText,
  foldChoices,
  type GeneratedChoice,
} from './generatedText';
import {
  chunkEventsProblem,
  doneEventEnd,
  MAX_GENERATED_CHARS,
  pendingProblem,
  sseProblem,
  StreamProgress,
  SseLines,
  TOO_MUCH_OUTPUT,
} from './sseText';
import type { TokenUsage } from './types';
import { UpstreamAnswerError } from './upstreamAnswer';

/**
 * The stream's events kept whole (for its choices and tool calls, `generatedChoices`) are
 * capped, bounding memory per stream; past it only their generated text is kept, so the
 * tokenizer fallback still counts all of an answer the upstream sent no usage for.
 */
const MAX_KEPT_CHARS = 1 << 20;

/** An event that reports usage, however its JSON is spaced. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
/** The placeholder every chunk carries once usage was asked for. */
const NULL_USAGE = /,\s*"usage"\s*:\s*null/g;

/** Whether an event is a chunk with no choice: the one the gateway's ask for usage added. */
function isUsageOnlyChunk(event: string): boolean {
  const data = event.indexOf('data:');
  if (data < 0) return false;
  try {
    const choices = JSON.parse(event.slice(data + 5))?.choices;
    return (
      choices === undefined ||
      choices === null ||
      (Array.isArray(choices) && choices.length === 0)
    );
  } catch {
    return false;
  }
}

/**
 * Relays an OpenAI SSE stream chunk by chunk, whole events at a time (LF or CRLF framed; the
 * caller gets LF). It picks the usage out of the final usage chunk (which the gateway always
 * asks for) and drops that chunk when the caller did not ask for it, so the caller sees
 * exactly what it requested. Text that is not SSE, an event that is not JSON, an error event
 * and a stream that ends before its answer finished throw an UpstreamAnswerError.
 *
 * One read may hold good events before the failing one. Once the caller has events, those
 * are forwarded and the failure follows them (`throwIfBroken`); before that the read fails
 * whole, so another upstream serves the request.
 */
export class OpenAiStreamRelay {
  private readonly lines = new SseLines();
  private kept: string[] = [];
  private keptChars = 0;
  /** The generated text of the events past MAX_KEPT_CHARS, a piece an event. */
  private readonly keptPastCap: string[] = [];
  private keptPastCapChars = 0;
  private found?: TokenUsage;
  private readonly progress: StreamProgress = { chunks: 0, finished: false };
  private forwarded = false;
  /** `[DONE]` came: the stream is over, whatever the upstream sends after it. */
  private done = false;
  /** Why the stream failed after the events `push` last returned. */
  private broken?: string;

  constructor(private readonly forwardUsage: boolean) {}

  /** The answer's `[DONE]` came, and no failure before it: nothing after it counts. */
  get complete(): boolean {
    return this.done && !this.broken;
  }

  get usage(): TokenUsage | undefined {
    return this.found;
  }

  /** Takes upstream text; returns the complete events to forward (maybe empty). */
  push(text: string): string {
    // The answer is complete: what an upstream sends after `[DONE]` is no part of it.
    if (this.done) return '';
    const lines = this.lines;
    lines.append(text);
    const end = lines.pending.lastIndexOf('\n\n');
    if (end < 0) {
      const problem = pendingProblem(lines.pending);
      if (problem) {
        throw new UpstreamAnswerError(problem);
      }
      return '';
    }
    let complete = lines.pending.slice(0, end + 2);
    lines.pending = lines.pending.slice(end + 2);
    const doneEnd = doneEventEnd(complete);
    if (doneEnd >= 0) {
      complete = complete.slice(0, doneEnd);
      lines.pending = '';
    }
    const { chunks, finished } = this.progress;
    const problem =
      sseProblem(complete) ?? chunkEventsProblem(complete, this.progress);
    if (problem) {
      this.progress.chunks = chunks;
      this.progress.finished = finished;
      complete = this.forwarded ? this.usablePrefix(complete) : '';
      // Failed, whatever came with it: a `[DONE]` after an error event ends no answer.
      this.broken = problem;
      if (!complete) throw new UpstreamAnswerError(problem);
    } else if (doneEnd >= 0) {
      this.done = true;
    }
    if (USAGE_OBJECT.test(complete)) {
      complete = this.takeUsage(complete);
    } else if (!this.forwardUsage && complete.includes('"usage"')) {
      complete = complete.replace(NULL_USAGE, '');
    }
    if (this.keptChars < MAX_KEPT_CHARS) {
      this.kept.push(complete);
      this.keptChars += complete.length;
    } else if (complete) {
      // An array, not `+=`: a string built of many short deltas is a rope several times the
      // size of its text.
      eachChunk(complete, chunk => {
        const generated = choicesText(chunk?.choices, 'delta');
        this.keptPastCap.push(generated);
        this.keptPastCapChars += generated.length;
      });
      // Its events go to the caller; the failure follows them (`throwIfBroken`).
      if (this.keptPastCapChars > MAX_GENERATED_CHARS) {
        this.broken = TOO_MUCH_OUTPUT;
      }
    }
    if (complete) this.forwarded = true;
    return complete;
  }

  /**
   * What is left when the upstream ends (an unterminated last event). A stream that ends
   * before a finish reason or `[DONE]` was cut short, however cleanly its connection closed.
   */
  end(): string {
    this.throwIfBroken();
    if (this.done) return '';
    const rest = this.lines.pending;
    this.lines.pending = '';
    const problem =
      sseProblem(rest) ??
      chunkEventsProblem(rest, this.progress) ??
      (this.progress.finished
        ? undefined
        : 'upstream stream ended before its answer finished');
    if (problem) {
      throw new UpstreamAnswerError(problem);
    }
    // Ended as SSE requires: a client drops an event the stream ends in the middle of.
    return rest && rest.replace(/\n*$/, '\n\n');
  }

  /** Fails the stream whose last forwarded events came before a failing one. */
  throwIfBroken(): void {
    if (this.broken) throw new UpstreamAnswerError(this.broken);
  }

  /** The events of `complete` before the first one that fails; notes their progress. */
  private usablePrefix(complete: string): string {
    let good = 0;
    while (good < complete.length) {
      const end = complete.indexOf('\n\n', good) + 2;
      const event = complete.slice(good, end);
      if (sseProblem(event) ?? chunkEventsProblem(event, this.progress)) break;
      good = end;
    }
    return complete.slice(0, good);
  }

  /** The content the stream carried, for counting tokens when no usage came. */
  generatedText(): string {
    const texts: string[] = [];
    const take = (chunk: any) =>
      texts.push(choicesText(chunk?.choices, 'delta'));
    for (const block of this.kept) eachChunk(block, take);
    return texts.join('') + this.keptPastCap.join('');
  }

  /** The same by choice, with each tool call whole (of the events kept whole). */
  generatedChoices(): GeneratedChoice[] {
    const choices: GeneratedChoice[] = [];
    for (const block of this.kept) {
      eachChunk(block, chunk => foldChoices(choices, chunk?.choices, 'delta'));
    }
    return choices;
  }

  /**
   * Reads the usage the stream reports and, for a caller that did not ask for it, takes out
   * what the gateway's own ask added: the chunk that carries usage and no choice (OpenAI's
   * SDKs read `choices[0]` of every chunk), and the `usage: null` of the others. Decided on
   * the JSON, however the upstream spaces it.
   */
  private takeUsage(complete: string): string {
    const forwarded: string[] = [];
    for (const event of complete.split('\n\n')) {
      if (!USAGE_OBJECT.test(event)) {
        forwarded.push(
          this.forwardUsage ? event : event.replace(NULL_USAGE, ''),
        );
        continue;
      }
      const usage = extractOpenAiUsage(event);
      if (usage) this.found = usage;
      if (this.forwardUsage || !usage || !isUsageOnlyChunk(event)) {
        forwarded.push(event);
      }
    }
    return forwarded.join('\n\n');
  }
}

/** Each chunk of a block of events, `data:` with a space after it or not. */
function eachChunk(block: string, take: (chunk: any) => void): void {
  for (const line of block.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const json = line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
    if (json.charCodeAt(0) !== 123) continue;
    let chunk;
    try {
      chunk = JSON.parse(json);
    } catch {
      // A malformed event carries no countable text.
      continue;
    }
    take(chunk);
  }
}
