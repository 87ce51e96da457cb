import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/httpIo';
import type { SimulatedToolCall } from '../generation/toolCall';

/** Tokens a tool call counts as: its arguments at about four characters a token, plus one. */
export function toolCallTokens(call: SimulatedToolCall): number {
  return Math.ceil(call.arguments.length / 4) + 1;
}

/** A call as OpenAI writes it: a function's name and arguments, or a custom tool's input. */
function wireCall(call: SimulatedToolCall, text: string, head: boolean) {
  if (call.custom) {
    return head
      ? { type: 'custom', custom: { name: call.name, input: text } }
      : { custom: { input: text } };
  }
  return head
    ? { type: 'function', function: { name: call.name, arguments: text } }
    : { function: { arguments: text } };
}

/** Answers a chat completion with a tool call, as JSON or as OpenAI's streamed chunks. */
export function answerWithToolCall(
  res: ServerResponse,
  options: {
    id: string;
    created: number;
    model: string;
    stream: boolean;
    includeUsage: boolean;
    /** A JSON answer without its `usage`, as a model told to omit it answers. */
    omitUsage?: boolean;
    promptTokens: number;
    call: SimulatedToolCall;
  },
): void {
  const { id, created, model, call } = options;
  const completionTokens = toolCallTokens(call);
  const usage = {
    prompt_tokens: options.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: options.promptTokens + completionTokens,
  };
  if (!options.stream) {
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: call.id, ...wireCall(call, call.arguments, true) },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      ...(options.omitUsage ? {} : { usage }),
    });
    return;
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices,
      ...(options.includeUsage ? { usage: null } : {}),
      ...extra,
    })}\n\n`;
  const half = Math.ceil(call.arguments.length / 2);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
  });
  const parts = [
    chunk([
      {
        index: 0,
        delta: {
          role: 'assistant',
          content: null,
          tool_calls: [{ index: 0, id: call.id, ...wireCall(call, '', true) }],
        },
        finish_reason: null,
      },
    ]),
    chunk([
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index: 0,
              ...wireCall(call, call.arguments.slice(0, half), false),
            },
          ],
        },
        finish_reason: null,
      },
    ]),
    chunk([
      {
        index: 0,
        delta: {
          tool_calls: [
            { index: 0, ...wireCall(call, call.arguments.slice(half), false) },
          ],
        },
        finish_reason: null,
      },
    ]),
    chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
    options.includeUsage ? chunk([], { usage }) : '',
    'data: [DONE]\n\n',
  ];
  res.end(parts.join(''));
}
