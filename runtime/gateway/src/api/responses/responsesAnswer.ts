import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import { firstChoice } from '../translatedAnswer';
import {
  functionCallItem,
  incompleteReason,
  ItemStatus,
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
  const choice = firstChoice(completion.choices) ?? {};
  const message = choice.message ?? {};
  const output: Json[] = [];
  const calls: Json[] = Array.isArray(message.tool_calls)
    ? message.tool_calls
    : [];
  // Cut off at the output limit: the last items, as a stream leaves them open (text, or the
  // calls that follow it).
  const cutOff: ItemStatus = incompleteReason(choice.finish_reason)
    ? 'incomplete'
    : 'completed';
  const textStatus = calls.length > 0 ? 'completed' : cutOff;
  // Text and a refusal are items of their own, in the order a stream sends them.
  const hasRefusal = typeof message.refusal === 'string' && message.refusal;
  if (typeof message.content === 'string' && message.content) {
    output.push(
      messageItem(
        ids.messageAt(output.length),
        message.content,
        false,
        hasRefusal ? 'completed' : textStatus,
      ),
    );
  }
  if (hasRefusal) {
    output.push(
      messageItem(
        ids.messageAt(output.length),
        message.refusal,
        true,
        textStatus,
      ),
    );
  }
  calls.forEach((call, index) =>
    output.push(
      functionCallItem(
        ids.functionCall(index),
        {
          id: String(call?.id ?? ''),
          name: String(call?.function?.name ?? ''),
          arguments: String(call?.function?.arguments ?? ''),
        },
        cutOff,
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
