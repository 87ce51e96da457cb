import {
  parseArguments,
  anthropicStop,
} from '../../providers/anthropicTranslation';
import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import { firstChoice } from '../translatedAnswer';

/** Anthropic's usage: its `input_tokens` leave out the tokens read from the prompt cache. */
export function messageUsage(usage: TokenUsage): Json {
  const cached = usage.cachedInputTokens ?? 0;
  return {
    input_tokens: usage.inputTokens - cached,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** A `chat.completion` as an Anthropic Messages answer: text and tool_use blocks. */
export function messageFromCompletion(
  completion: Json,
  usage: TokenUsage,
  id: string,
): Json {
  const choice = firstChoice(completion.choices) ?? {};
  const message = choice.message ?? {};
  const content: Json[] = [];
  const text = message.content || message.refusal;
  if (typeof text === 'string' && text) content.push({ type: 'text', text });
  const calls: Json[] = Array.isArray(message.tool_calls)
    ? message.tool_calls
    : [];
  for (const call of calls) {
    content.push({
      type: 'tool_use',
      id: String(call?.id ?? ''),
      name: String(call?.function?.name ?? ''),
      input: parseArguments(call?.function?.arguments),
    });
  }
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: String(completion.model ?? ''),
    content,
    // A refusal (OpenAI's `refusal` field) is Anthropic's `refusal` stop, however it finished.
    ...(typeof message.refusal === 'string' && message.refusal
      ? { stop_reason: 'refusal', stop_sequence: null }
      : anthropicStop(choice.finish_reason, choice.stop_reason)),
    usage: messageUsage(usage),
  };
}
