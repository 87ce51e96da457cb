/** What a span records of an answer: never its text. */
export interface AnswerFacts {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** A stream's finish reasons so far, by choice index. */
  byChoice?: string[];
}

const MAX = 200;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0
    ? value.slice(0, MAX)
    : undefined;
}

/**
 * Why a Responses answer ended, in its own terms: `completed`, or the reason it is
 * `incomplete` (`max_output_tokens`), as both its JSON and its final stream event say.
 */
function responseEnd(fields: Record<string, unknown>): string | undefined {
  const details = fields.incomplete_details as Record<string, unknown> | null;
  return text(details?.reason) ?? text(fields.status);
}

/**
 * The model, id and finish reasons of the answer the caller got, in any of the gateway's
 * APIs: chat (`choices[].finish_reason`), Messages (`stop_reason`), Responses (`status`),
 * from the answer parsed on its way or else its bytes. A streamed answer gives the same
 * facts through chunkFacts. Read only for sampled requests.
 */
export function answerFacts(
  body: Buffer,
  parsed?: Record<string, unknown>,
): AnswerFacts {
  let answer: unknown = parsed;
  if (answer === undefined) {
    try {
      answer = JSON.parse(body.toString('utf8'));
    } catch {
      return {};
    }
  }
  if (typeof answer !== 'object' || answer === null) {
    return {};
  }
  const fields = answer as Record<string, unknown>;
  const reasons: string[] = [];
  if (Array.isArray(fields.choices)) {
    for (const choice of fields.choices) {
      const reason = text((choice as Record<string, unknown>)?.finish_reason);
      if (reason) reasons.push(reason);
    }
  }
  const stop =
    fields.object === 'response'
      ? responseEnd(fields)
      : text(fields.stop_reason);
  if (stop) reasons.push(stop);
  return {
    responseModel: text(fields.model),
    responseId: text(fields.id),
    ...(reasons.length > 0 ? { finishReasons: reasons } : {}),
  };
}

// Upstream bytes are relayed as they came: JSON written with spaces (Python's, LiteLLM's) too.
const MODEL = /"model"\s*:\s*"([^"\\]{1,200})"/;
const ID = /"id"\s*:\s*"([^"\\]{1,200})"/;
const FINISH = /"(?:finish_reason|stop_reason)"\s*:\s*"/;
/** Choices a stream's finish reasons are kept for: OpenAI's most (`n`). */
const MAX_CHOICES = 128;
/** A Responses stream's final event, and the reason in it when it is incomplete. */
const RESPONSE_END = /"type":"response\.(completed|incomplete|failed)"/;
const INCOMPLETE = /"incomplete_details":\{"reason":"([^"\\]{1,64})"/;

/** The same facts from a streamed SSE chunk, added to what earlier chunks told. */
export function chunkFacts(chunk: string, facts: AnswerFacts): void {
  if (facts.responseModel === undefined) {
    facts.responseModel = MODEL.exec(chunk)?.[1];
  }
  if (facts.responseId === undefined) {
    facts.responseId = ID.exec(chunk)?.[1];
  }
  if (FINISH.test(chunk)) finishedChoices(chunk, facts);
  const end = RESPONSE_END.exec(chunk)?.[1];
  if (end) {
    facts.finishReasons = [
      (end === 'incomplete' && INCOMPLETE.exec(chunk)?.[1]) || end,
    ];
  }
}

/**
 * The last finish reason each choice's events gave, as a JSON answer has one a choice: an
 * upstream that repeats it on every chunk must not grow the span with the stream.
 */
function finishedChoices(chunk: string, facts: AnswerFacts): void {
  const byChoice = (facts.byChoice ??= []);
  for (const line of chunk.split('\n')) {
    if (!line.startsWith('data:') || !FINISH.test(line)) continue;
    let event;
    try {
      event = JSON.parse(line.slice(5));
    } catch {
      continue;
    }
    if (Array.isArray(event?.choices)) {
      for (const choice of event.choices) {
        const reason = text(choice?.finish_reason);
        const index = choice?.index ?? 0;
        if (reason && Number.isInteger(index) && index >= 0) {
          if (index < MAX_CHOICES) byChoice[index] = reason;
        }
      }
    }
    // Anthropic Messages: message_delta's stop reason, for its one completion.
    const stop = text(event?.delta?.stop_reason);
    if (stop) byChoice[0] = stop;
  }
  facts.finishReasons = byChoice.filter(reason => reason !== undefined);
}
