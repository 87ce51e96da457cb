/**
 * What a chat message (or a stream's delta) generated, as the tokenizer counts it when an
 * upstream reports no usage, and as an opted-in trace records it: its text, a refusal, and
 * each tool call's name and arguments, a line each. Tool calls are output tokens the caller
 * pays for like text.
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
  if (typeof content === 'string' && content) parts.push(content);
  if (typeof refusal === 'string' && refusal) parts.push(refusal);
  if (Array.isArray(calls)) {
    for (const call of calls) parts.push(functionText(call?.function));
  }
  parts.push(functionText(legacy));
  return parts.filter(Boolean).join('\n');
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
