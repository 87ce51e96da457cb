/**
 * What a chat message (or a stream's delta) generated, as the tokenizer counts it when an
 * upstream reports no usage: its text, a refusal, and each tool call's name and arguments.
 * Tool calls are output tokens the caller pays for like text.
 */
export function messageText(message: unknown): string {
  if (message === null || typeof message !== 'object') return '';
  const {
    content,
    refusal,
    tool_calls: calls,
    function_call: legacy,
  } = message as Record<string, any>;
  let text = '';
  if (typeof content === 'string') text += content;
  if (typeof refusal === 'string') text += refusal;
  if (Array.isArray(calls)) {
    for (const call of calls) text += functionText(call?.function);
  }
  return text + functionText(legacy);
}

function functionText(fn: any): string {
  if (fn === null || typeof fn !== 'object') return '';
  return (
    (typeof fn.name === 'string' ? fn.name : '') +
    (typeof fn.arguments === 'string' ? fn.arguments : '')
  );
}

/** Every choice's generated text, in order: each of `n` completions is paid for. */
export function choicesText(
  choices: unknown,
  field: 'message' | 'delta',
): string {
  if (!Array.isArray(choices)) return '';
  let text = '';
  for (const choice of choices) text += messageText(choice?.[field]);
  return text;
}
