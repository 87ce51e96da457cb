import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import {
  functionCallItem,
  messageItem,
  responseObject,
  ResponseIds,
} from './responseObject';
import type { ResponseEcho } from './responsesRequest';

/** A `chat.completion` as a Responses API `response`: text, refusal and function-call items. */
export function responseFromCompletion(
  completion: Json,
  usage: TokenUsage,
  ids: ResponseIds,
  echo: ResponseEcho,
): Json {
  const choice = completion.choices[0] ?? {};
  const message = choice.message ?? {};
  const output: Json[] = [];
  // Text and a refusal are items of their own, in the order a stream sends them.
  if (typeof message.content === 'string' && message.content) {
    output.push(messageItem(ids.messageAt(output.length), message.content));
  }
  if (typeof message.refusal === 'string' && message.refusal) {
    output.push(
      messageItem(ids.messageAt(output.length), message.refusal, true),
    );
  }
  const calls: Json[] = Array.isArray(message.tool_calls)
    ? message.tool_calls
    : [];
  calls.forEach((call, index) =>
    output.push(
      functionCallItem(
        ids.functionCall(index),
        {
          id: String(call?.id ?? ''),
          name: String(call?.function?.name ?? ''),
          arguments: String(call?.function?.arguments ?? ''),
        },
        'completed',
      ),
    ),
  );
  return responseObject(
    {
      id: ids.response,
      createdAt: Number(completion.created) || Math.floor(Date.now() / 1000),
      model: String(completion.model ?? ''),
      output,
      usage,
      finish: choice.finish_reason,
    },
    echo,
  );
}
