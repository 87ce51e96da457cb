import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/httpIo';
import type { SimulatedToolCall } from '../generation/toolCall';
import { toolCallTokens } from './chatToolCall';

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Answers an Anthropic Messages request with a `tool_use` block, as JSON or as streamed events. */
export function answerWithToolUse(
  res: ServerResponse,
  options: {
    id: string;
    model: string;
    stream: boolean;
    inputTokens: number;
    call: SimulatedToolCall;
  },
): void {
  const { id, model, call } = options;
  const outputTokens = toolCallTokens(call);
  const input = JSON.parse(call.arguments);
  if (!options.stream) {
    sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'tool_use', id: call.id, name: call.name, input }],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: options.inputTokens, output_tokens: outputTokens },
    });
    return;
  }
  const half = Math.ceil(call.arguments.length / 2);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
  });
  res.end(
    sse('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: options.inputTokens, output_tokens: 1 },
      },
    }) +
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: {
          type: 'tool_use',
          id: call.id,
          name: call.name,
          input: {},
        },
      }) +
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: {
          type: 'input_json_delta',
          partial_json: call.arguments.slice(0, half),
        },
      }) +
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: {
          type: 'input_json_delta',
          partial_json: call.arguments.slice(half),
        },
      }) +
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: outputTokens },
      }) +
      sse('message_stop', { type: 'message_stop' }),
  );
}
