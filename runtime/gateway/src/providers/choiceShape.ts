type Json = Record<string, any>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const optionalText = (value: unknown) =>
  value === undefined || value === null || typeof value === 'string';

/**
 * A tool call of a message (or a delta): an object whose id, function name and arguments (a
 * custom tool's name and input) are text. Each may be absent: a stream sends the id and name
 * on a call's first delta only.
 */
function toolCallProblem(call: unknown): string | undefined {
  if (!isObject(call)) return 'a tool call that is not an object';
  // The translated APIs turn the id into text: an object there would throw mid-answer.
  if (!optionalText(call.id)) return 'a tool call whose id is not text';
  const custom = call.custom;
  if (
    custom !== undefined &&
    custom !== null &&
    (!isObject(custom) ||
      !optionalText(custom.name) ||
      !optionalText(custom.input))
  ) {
    return 'a custom tool call whose name or input is not text';
  }
  const fn = call.function;
  if (fn === undefined || fn === null) return undefined;
  if (!isObject(fn) || !optionalText(fn.name) || !optionalText(fn.arguments)) {
    return 'a tool call whose function name or arguments are not text';
  }
  return undefined;
}

/**
 * Content as OpenAI's schema has it: text, null, or a list of typed parts whose text and
 * refusal parts hold text. Parts of other types (a server's reasoning) are relayed as they
 * are: refusing them would fail answers that callers of that server read.
 */
function contentOk(content: unknown): boolean {
  if (!Array.isArray(content)) return optionalText(content);
  for (const part of content) {
    if (!isObject(part) || typeof part.type !== 'string') return false;
    if (part.type === 'text' && typeof part.text !== 'string') return false;
    if (part.type === 'refusal' && typeof part.refusal !== 'string') {
      return false;
    }
  }
  return true;
}

/**
 * Why a chat answer's choices (a completion's `message`s, or a chunk's `delta`s) cannot be
 * relayed, or undefined: every choice an object, its index an integer, a completion's choice
 * with a message, its content text, null or typed parts, its refusal and finish reason text or
 * null, its tool calls a list of calls. An answer that breaks these reaches callers as a
 * success their SDK cannot read, and the translated APIs as an empty one. A few type checks a
 * choice: nothing is walked deeper than a content part or a tool call's function (or a
 * custom call's `custom`).
 */
export function choicesProblem(
  choices: unknown[],
  field: 'message' | 'delta',
): string | undefined {
  for (const choice of choices) {
    if (!isObject(choice))
      return 'upstream answered with a choice that is not an object';
    if (
      choice.index !== undefined &&
      choice.index !== null &&
      !Number.isInteger(choice.index)
    ) {
      return 'upstream answered with a choice whose index is not an integer';
    }
    if (!optionalText(choice.finish_reason)) {
      return 'upstream answered with a finish reason that is not text';
    }
    const part = choice[field];
    // A chunk may carry only a finish reason; a completion's choice is its message, unless a
    // content filter withheld it (Azure OpenAI, one choice of several).
    if (
      (part === undefined || part === null) &&
      (field === 'delta' || choice.finish_reason === 'content_filter')
    ) {
      continue;
    }
    if (!isObject(part)) {
      return `upstream answered with a choice whose ${field} is not an object`;
    }
    if (!contentOk(part.content)) {
      return `upstream answered with ${field} content that is neither text nor typed parts`;
    }
    if (!optionalText(part.refusal)) {
      return `upstream answered with a ${field} refusal that is not text`;
    }
    const calls = part.tool_calls;
    if (calls === undefined || calls === null) continue;
    if (!Array.isArray(calls)) {
      return `upstream answered with ${field} tool calls that are not a list`;
    }
    for (const call of calls) {
      const problem = toolCallProblem(call);
      if (problem) return `upstream answered with ${problem}`;
    }
  }
  return undefined;
}
