import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { summarizeChatRequest } from '../router/chatRequest';
import { OpenAiAdapter } from './OpenAiAdapter';
import { UpstreamHttp } from './UpstreamHttp';

/** An OpenAI-protocol upstream that records the bodies it receives. */
describe('OpenAiAdapter asks the upstream for no more output than was reserved', () => {
  const received: Array<Record<string, unknown>> = [];
  let server: Server;
  let endpoint: string;
  const http = new UpstreamHttp({
    headersTimeoutMs: 5000,
    bodyTimeoutMs: 5000,
  });
  const adapter = new OpenAiAdapter(http, {});

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            model: 'm',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'ok' },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          }),
        );
      });
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await http.close();
    await new Promise(done => server.close(done));
  });

  const profileFor = (
    provider: GatewayModelProfile['provider'],
  ): GatewayModelProfile => ({
    id: 'p',
    alias: 'a',
    type: 'chat',
    provider,
    upstreamModel: 'm',
    endpoint,
    region: 'eu-west-1',
    qualityTier: 'standard',
    contextLength: 128_000,
    maxOutputTokens: 100,
    features: [],
    inputPerMillionUsd: 1,
    outputPerMillionUsd: 2,
    maxClassification: 'CONFIDENTIAL',
  });

  async function sent(
    provider: GatewayModelProfile['provider'],
    fields: Record<string, unknown>,
  ) {
    const body = {
      model: 'a',
      messages: [{ role: 'user', content: 'hi' }],
      ...fields,
    };
    const result = await adapter.chat({
      profile: profileFor(provider),
      body,
      summary: summarizeChatRequest(body),
      signal: new AbortController().signal,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(result.kind).toBe('json');
    return received[received.length - 1];
  }

  it.each([
    ['openai', 'as the caller wrote it', 2],
    ['azure-openai', 'required', 1],
    ['vllm', 'required', 1],
  ] as const)(
    "sends allowed_tools to %s %s (tools: %s): only OpenAI's own API takes the choice",
    async (provider, choice, tools) => {
      const fn = (name: string) => ({
        type: 'function',
        function: { name, parameters: { type: 'object' } },
      });
      const allowed = {
        type: 'allowed_tools',
        allowed_tools: {
          mode: 'required',
          tools: [{ type: 'function', function: { name: 'clock' } }],
        },
      };
      const forwarded = await sent(provider, {
        tools: [fn('weather'), fn('clock')],
        tool_choice: allowed,
      });
      expect(forwarded.tool_choice).toEqual(
        choice === 'required' ? 'required' : allowed,
      );
      expect(forwarded.tools).toHaveLength(tools);
    },
  );

  it.each([
    ['vllm', {}, { max_tokens: 100 }],
    ['vllm', { max_tokens: 5000 }, { max_tokens: 100 }],
    ['vllm', { max_tokens: 20 }, { max_tokens: 20 }],
    ['vllm', { max_completion_tokens: 5000 }, { max_completion_tokens: 100 }],
    ['openai', {}, { max_completion_tokens: 100 }],
    ['azure-openai', {}, { max_completion_tokens: 100 }],
    ['openai', { max_tokens: 5000 }, { max_tokens: 100 }],
    [
      'openai',
      { max_tokens: 7, max_completion_tokens: 5000 },
      { max_completion_tokens: 100 },
    ],
  ] as const)(
    '%s, caller sent %j: upstream gets %j',
    async (provider, fields, expected) => {
      const forwarded = await sent(provider, fields);
      expect({
        max_tokens: forwarded.max_tokens,
        max_completion_tokens: forwarded.max_completion_tokens,
      }).toEqual({
        max_tokens: undefined,
        max_completion_tokens: undefined,
        ...expected,
      });
    },
  );
});
