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
  // `n` completions, each of its own seed (the first as without `n`), generated side by side:
  // the answer takes as long as the longest, and the usage counts them all.
  const generated = Array.from({ length: request.n ?? 1 }, (_, index) =>
    generateText({
      seed: (request.seed ?? deps.seed) + index,
      prompt: texts.join('\n'),
      maxTokens: Math.min(
        requested ?? behaviour.maxOutputTokens,
        behaviour.maxOutputTokens,
      ),
      fill: behaviour.ignoreMaxTokens,
    }),
  );
  const completionTokens = generated.reduce(
    (sum, choice) => sum + choice.tokens.length,
    0,
  );
  const longest = Math.max(...generated.map(choice => choice.tokens.length));
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
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
      omitUsage: behaviour.omitUsage,
      promptTokens,
      call,
    });
    deps.stats.requestCompleted();
    return;
  }

  try {
    if (!request.stream) {
      await waitForCompletion(behaviour, going, longest, signal, res);
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: request.model,
        choices: generated.map((choice, index) => ({
          index,
          message: {
            role: 'assistant',
            content: choice.tokens.join(''),
            refusal: null,
          },
          logprobs: null,
          finish_reason: choice.finishReason,
        })),
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
      generated
        .map((_, index) =>
          chunk([
            {
              index,
              delta: { role: 'assistant', content: '' },
              finish_reason: null,
            },
          ]),
        )
        .join(''),
    );
    // A step a token position: each choice that has a token there sends it, in its own chunk.
    const positions = Array.from({ length: longest }, (_, at) => at);
    await paceTokens(
      behaviour,
      going,
      positions,
      signal,
      at => {
        generated.forEach((choice, index) => {
          if (at >= choice.tokens.length) return;
          res.write(
            chunk([
              {
                index,
                delta: { content: choice.tokens[at] },
                finish_reason: null,
              },
            ]),
          );
        });
      },
      res,
    );
    let tail = generated
      .map((choice, index) =>
        chunk([{ index, delta: {}, finish_reason: choice.finishReason }]),
      )
      .join('');
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
