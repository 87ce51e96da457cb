/**
 * What a chat message (or a stream's delta) generated, as the tokenizer counts it when an
 * upstream reports no usage, and as an opted-in trace records it: its text (a string, or the
 * text and refusal parts of a list), a refusal, and each tool call's name and arguments (a
 * custom tool's input), a line each. Tool calls are output tokens the caller pays for like text.
 */
export function messageText(message: unknown): string {
  if (message === null || typeof message !== 'object') return '';
  const {
    content,
    refusal,
    tool_calls: calls,
    function_call: legacy,
  } = message as Record<string, any>;
  const parts: string[] = [];
  if (typeof content === 'string') {
    if (content) parts.push(content);
  } else if (Array.isArray(content)) {
    const { text, refusal: refused } = partsText(content);
    parts.push(text, refused);
  }
  if (typeof refusal === 'string' && refusal) parts.push(refusal);
  if (Array.isArray(calls)) {
    for (const call of calls) {
      parts.push(functionText(call?.function) + customText(call?.custom));
    }
  }
  parts.push(functionText(legacy));
  return parts.filter(Boolean).join('\n');
}

/** The text and refusal parts of a content list, each run joined as the caller reads it. */
function partsText(content: unknown[]): { text: string; refusal: string } {
  let text = '';
  let refusal = '';
  for (const part of content as any[]) {
    if (part?.type === 'text' && typeof part.text === 'string') {
      text += part.text;
    } else if (part?.type === 'refusal' && typeof part.refusal === 'string') {
      refusal += part.refusal;
    }
  }
  return { text, refusal };
}

/** A custom tool call's name and free-form input (OpenAI's `type: "custom"` tools). */
function customText(custom: any): string {
  if (custom === null || typeof custom !== 'object') return '';
  return (
    (typeof custom.name === 'string' ? custom.name : '') +
    (typeof custom.input === 'string' ? custom.input : '')
  );
}

function functionText(fn: any): string {
  if (fn === null || typeof fn !== 'object') return '';
  return (
    (typeof fn.name === 'string' ? fn.name : '') +
    (typeof fn.arguments === 'string' ? fn.arguments : '')
  );
}

/** Every choice's generated text, in order, a line apart: each of `n` completions is paid for. */
export function choicesText(
  choices: unknown,
  field: 'message' | 'delta',
): string {
  if (!Array.isArray(choices)) return '';
  if (choices.length === 1) return messageText(choices[0]?.[field]);
  return choices
    .map(choice => messageText(choice?.[field]))
    .filter(Boolean)
    .join('\n');
}

/** One choice's output as the upstream generated it, for a trace that records it (opted in). */
export interface GeneratedChoice {
  text: string;
  refusal: string;
  /** `arguments` of a custom tool's call (`custom`) is its free-form input, not JSON. */
  toolCalls: Array<{
    id?: string;
    name: string;
    arguments: string;
    custom?: true;
  }>;
  finishReason?: string;
}

/** Choices and tool calls kept at most: OpenAI's `n` and a generous number of calls. */
const MAX_INDEX = 128;

function indexAt(value: unknown, fallback: number): number | undefined {
  const index = value ?? fallback;
  return Number.isInteger(index) &&
    (index as number) >= 0 &&
    (index as number) < MAX_INDEX
    ? (index as number)
    : undefined;
}

/**
 * Adds chat choices (a JSON answer's `message`s, or a stream chunk's `delta`s) to each
 * choice's output, by the choice's and the tool call's index; returns `into`.
 */
export function foldChoices(
  into: GeneratedChoice[],
  choices: unknown,
  field: 'message' | 'delta',
): GeneratedChoice[] {
  if (!Array.isArray(choices)) return into;
  for (let place = 0; place < choices.length; place++) {
    const choice = choices[place];
    const index = indexAt(choice?.index, field === 'message' ? place : 0);
    if (index === undefined) continue;
    const out = (into[index] ??= { text: '', refusal: '', toolCalls: [] });
    const part = choice?.[field];
    if (typeof part?.content === 'string') {
      out.text += part.content;
    } else if (Array.isArray(part?.content)) {
      const { text, refusal } = partsText(part.content);
      out.text += text;
      out.refusal += refusal;
    }
    if (typeof part?.refusal === 'string') out.refusal += part.refusal;
    const calls: unknown[] = Array.isArray(part?.tool_calls)
      ? part.tool_calls
      : [];
    calls.forEach((call: any, position) => {
      const at = indexAt(field === 'delta' ? call?.index : undefined, position);
      if (at === undefined) return;
      const tool = (out.toolCalls[at] ??= { name: '', arguments: '' });
      if (typeof call?.id === 'string' && call.id) tool.id = call.id;
      // A custom tool's free-form input is recorded where a function's arguments go.
      if (call?.type === 'custom' || call?.custom) tool.custom = true;
      const fn = call?.function ?? call?.custom;
      if (typeof fn?.name === 'string') tool.name += fn.name;
      if (typeof fn?.arguments === 'string') tool.arguments += fn.arguments;
      if (typeof fn?.input === 'string') tool.arguments += fn.input;
    });
    if (typeof choice?.finish_reason === 'string' && choice.finish_reason) {
      out.finishReason = choice.finish_reason;
    }
  }
  return into;
}
