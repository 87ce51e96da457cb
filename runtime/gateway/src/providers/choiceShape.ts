type Json = Record<string, any>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const optionalText = (value: unknown) =>
  value === undefined || value === null || typeof value === 'string';

/** A tool call of a message (or a delta): an object whose function's name and arguments are text. */
function toolCallProblem(call: unknown): string | undefined {
  if (!isObject(call)) return 'a tool call that is not an object';
  const fn = call.function;
  if (fn === undefined || fn === null) return undefined;
  if (!isObject(fn) || !optionalText(fn.name) || !optionalText(fn.arguments)) {
    return 'a tool call whose function name or arguments are not text';
  }
  return undefined;
}

/**
 * Why a chat answer's choices (a completion's `message`s, or a chunk's `delta`s) cannot be
 * relayed, or undefined: every choice an object, its index an integer, its message's content,
 * refusal and finish reason text or null, its tool calls a list of calls. An answer that breaks
 * these reaches callers as a success their SDK cannot read, and the translated APIs as an empty
 * one. A few type checks a choice: nothing is walked deeper than a tool call's function.
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
    if (part === undefined || part === null) continue;
    if (!isObject(part)) {
      return `upstream answered with a choice whose ${field} is not an object`;
    }
    if (!optionalText(part.content) && !Array.isArray(part.content)) {
      return `upstream answered with ${field} content that is not text`;
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
