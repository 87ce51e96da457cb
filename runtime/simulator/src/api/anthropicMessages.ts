import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  countPromptTokens,
  generateText,
} from '../generation/DeterministicText';
import { sendJson } from '../http/httpIo';
import { forcedToolCall } from '../generation/toolCall';
import { toolCallTokens } from './chatToolCall';
import { answerWithToolUse } from './anthropicToolUse';
import {
  anthropicRequestSchema,
  contentText,
  parseBody,
} from './requestSchemas';
import {
  applyFaults,
  clientGoneSignal,
  paceTokens,
  SimulatorDeps,
  waitForCompletion,
} from './RequestContext';

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** `POST /v1/messages` as Anthropic's Messages API answers it, JSON and streaming. */
export async function handleAnthropicMessages(
  deps: SimulatorDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const request = parseBody(anthropicRequestSchema, body);
  const behaviour = deps.catalog.behaviour(request.model);
  deps.stats.requestStarted(request.model);
  const going = applyFaults(deps, behaviour, res);
  if (going === 'answered') {
    return;
  }
  const texts = request.messages.map(message => contentText(message.content));
  if (request.system !== undefined) {
    texts.unshift(contentText(request.system));
  }
  const inputTokens = countPromptTokens(texts, behaviour.promptTokens);
  const generated = generateText({
    seed: deps.seed,
    prompt: texts.join('\n'),
    maxTokens: behaviour.ignoreMaxTokens
      ? behaviour.maxOutputTokens
      : Math.min(request.max_tokens, behaviour.maxOutputTokens),
    fill: behaviour.ignoreMaxTokens,
  });
  const stopReason =
    generated.finishReason === 'length' ? 'max_tokens' : 'end_turn';
  const id = `msg_${randomUUID().replace(/-/g, '')}`;
  const signal = clientGoneSignal(req, res);

  const call = forcedToolCall({
    tools: request.tools,
    toolChoice: request.tool_choice,
    prompt: texts.join('\n'),
    anthropic: true,
  });
  if (call) {
    try {
      await waitForCompletion(
        behaviour,
        going,
        toolCallTokens(call),
        signal,
        res,
      );
    } catch {
      if (!going.cut) deps.stats.requestCancelled();
      return;
    }
    answerWithToolUse(res, {
      id,
      model: request.model,
      stream: request.stream === true,
      inputTokens,
      call,
    });
    deps.stats.requestCompleted();
    return;
  }

  try {
    if (!request.stream) {
      await waitForCompletion(
        behaviour,
        going,
        generated.tokens.length,
        signal,
        res,
      );
      sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [{ type: 'text', text: generated.tokens.join('') }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens,
          output_tokens: generated.tokens.length,
        },
      });
      deps.stats.requestCompleted();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    res.write(
      sse('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: request.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      }),
    );
    res.write(
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
    );
    await paceTokens(
      behaviour,
      going,
      generated.tokens,
      signal,
      token => {
        res.write(
          sse('content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: token },
          }),
        );
      },
      res,
    );
    res.end(
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
        sse('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: generated.tokens.length },
        }) +
        sse('message_stop', { type: 'message_stop' }),
    );
    deps.stats.requestCompleted();
  } catch (error) {
    if (going.cut) {
      return;
    }
    if (signal.aborted) {
      deps.stats.requestCancelled();
      return;
    }
    throw error;
  }
}
