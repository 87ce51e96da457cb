import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  countPromptTokens,
  generateText,
} from '../generation/DeterministicText';
import { sendJson } from '../http/httpIo';
import { forcedToolCall } from '../generation/toolCall';
import { answerWithToolCall, toolCallTokens } from './chatToolCall';
import { chatRequestSchema, contentText, parseBody } from './requestSchemas';
import {
  applyFaults,
  clientGoneSignal,
  paceTokens,
  SimulatorDeps,
  waitForCompletion,
} from './RequestContext';

/** `POST /v1/chat/completions`, JSON and SSE, as OpenAI and vLLM answer it. */
export async function handleChatCompletions(
  deps: SimulatorDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const request = parseBody(chatRequestSchema, body);
  const behaviour = deps.catalog.behaviour(request.model);
  deps.stats.requestStarted(request.model);
  const going = applyFaults(deps, behaviour, res);
  if (going === 'answered') {
    return;
  }
  const texts = request.messages.map(message => contentText(message.content));
  const promptTokens = countPromptTokens(texts, behaviour.promptTokens);
  const requested = behaviour.ignoreMaxTokens
    ? undefined
    : request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const generated = generateText({
    seed: request.seed ?? deps.seed,
    prompt: texts.join('\n'),
    maxTokens: Math.min(
      requested ?? behaviour.maxOutputTokens,
      behaviour.maxOutputTokens,
    ),
    fill: behaviour.ignoreMaxTokens,
  });
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: generated.tokens.length,
    total_tokens: promptTokens + generated.tokens.length,
  };
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const signal = clientGoneSignal(req, res);

  const call = forcedToolCall({
    tools: request.tools,
    toolChoice: request.tool_choice,
    prompt: texts.join('\n'),
    anthropic: false,
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
    answerWithToolCall(res, {
      id,
      created,
      model: request.model,
      stream: request.stream === true,
      includeUsage:
        request.stream_options?.include_usage === true && !behaviour.omitUsage,
      promptTokens,
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
        object: 'chat.completion',
        created,
        model: request.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: generated.tokens.join(''),
              refusal: null,
            },
            logprobs: null,
            finish_reason: generated.finishReason,
          },
        ],
        ...(behaviour.omitUsage ? {} : { usage }),
        system_fingerprint: 'cellport-simulator',
      });
      deps.stats.requestCompleted();
      return;
    }

    const includeUsage =
      request.stream_options?.include_usage === true && !behaviour.omitUsage;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: request.model,
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      })}\n\n`;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(
      chunk([
        {
          index: 0,
          delta: { role: 'assistant', content: '' },
          finish_reason: null,
        },
      ]),
    );
    await paceTokens(
      behaviour,
      going,
      generated.tokens,
      signal,
      token => {
        res.write(
          chunk([{ index: 0, delta: { content: token }, finish_reason: null }]),
        );
      },
      res,
    );
    let tail = chunk([
      { index: 0, delta: {}, finish_reason: generated.finishReason },
    ]);
    if (includeUsage) {
      tail += chunk([], { usage });
    }
    res.end(`${tail}data: [DONE]\n\n`);
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
