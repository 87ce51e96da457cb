/**
 * A Messages or Responses answer tells its caller the tokens it is charged. When an
 * Anthropic upstream's stream counts its prompt in `message_start` but ends with no usable
 * output count, the request pays that prompt and the tokenizer's count of the output: the
 * answer the translation writes must show the same prompt, not the prompt's bound.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  testState,
} from '../__testUtils__/fixtures';

const PROMPT_TOKENS = 12;

const sse = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** An Anthropic upstream whose streams count the prompt, and end with an output count that is none. */
async function anthropicUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        sse('message_start', {
          message: {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-model',
            content: [],
            stop_reason: null,
            usage: { input_tokens: PROMPT_TOKENS, output_tokens: 1 },
          },
        }) +
          sse('content_block_start', {
            index: 0,
            content_block: { type: 'text', text: '' },
          }) +
          sse('content_block_delta', {
            index: 0,
            delta: { type: 'text_delta', text: 'Hello there' },
          }) +
          sse('content_block_stop', { index: 0 }) +
          sse('message_delta', {
            delta: { stop_reason: 'end_turn' },
            usage: { output_tokens: 'many' },
          }) +
          sse('message_stop', {}),
      );
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  return server;
}

describe('the usage a translated stream shows', () => {
  const prompt = 'Hello, how are you? '.repeat(40);

  it.each([
    [
      '/v1/messages',
      {
        model: 'claude-haiku',
        max_tokens: 20,
        stream: true,
        messages: [{ role: 'user', content: prompt }],
      },
    ],
    [
      '/v1/responses',
      {
        model: 'claude-haiku',
        max_output_tokens: 20,
        stream: true,
        input: prompt,
      },
    ],
  ])(
    'is what a %s stream from an Anthropic upstream is charged, its prompt as the upstream counted it',
    async (path, body) => {
      const upstream = await anthropicUpstream();
      const upstreamUrl = `http://127.0.0.1:${
        (upstream.address() as AddressInfo).port
      }`;
      const { gateway, url, events } = await startGateway(upstreamUrl, {
        state: testState(upstreamUrl),
      });
      try {
        const response = await postChat(url, body, {
          key: KEYS.brightpath,
          path,
        });
        expect(response.status).toBe(200);
        const shown = [
          ...(await response.text()).matchAll(/"input_tokens":(\d+)/g),
        ].map(match => Number(match[1]));
        await eventually(() => events.usage().length === 1);
        const [usage] = events.usage() as UsageEvent[];
        expect(usage).toMatchObject({
          inputTokens: PROMPT_TOKENS,
          tokensEstimated: true,
        });
        expect(shown[shown.length - 1]).toBe(PROMPT_TOKENS);
      } finally {
        await gateway.stop();
        await new Promise(resolve => upstream.close(resolve));
      }
    },
  );
});
