import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testProfile } from '../__testUtils__/fixtures';
import { summarizeChatRequest } from '../router/chatRequest';
import { AnthropicAdapter } from './AnthropicAdapter';
import { OpenAiAdapter } from './OpenAiAdapter';
import { UpstreamHttp } from './UpstreamHttp';

const SECRET = 'AZsecretTOKEN1234567890';

/**
 * A credential as a Secret's file mounts it (a newline after it, spaces around it) is sent
 * trimmed, and an upstream that quotes it back in a refusal has it blanked out. Before: the
 * header kept the whitespace, and the quote of the trimmed key reached the caller in clear.
 */
describe('an upstream credential with whitespace around it', () => {
  const seen: IncomingHttpHeaders[] = [];
  let server: Server;
  let endpoint: string;
  const http = new UpstreamHttp({
    headersTimeoutMs: 5000,
    bodyTimeoutMs: 5000,
  });
  const env = { TEST_KEY: `  ${SECRET} \n` };

  beforeAll(async () => {
    // Refuses every call, quoting the credential it was sent (as some servers do).
    server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      const quoted =
        req.headers['x-api-key'] ??
        req.headers['api-key'] ??
        req.headers.authorization;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad key ${quoted}` } }));
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await http.close();
    await new Promise(done => server.close(done));
  });

  it.each([
    ['openai', 'authorization', `Bearer ${SECRET}`],
    ['azure-openai', 'api-key', SECRET],
    ['anthropic', 'x-api-key', SECRET],
  ] as const)(
    'is sent to %s trimmed (%s) and blanked out of its refusal',
    async (provider, header, expected) => {
      const profile = testProfile(endpoint, {
        id: 'p',
        alias: 'a',
        region: 'eu-west-1',
        provider,
        upstreamModel: 'm',
        endpoint: provider === 'anthropic' ? endpoint : `${endpoint}/v1`,
        credentialEnv: 'TEST_KEY',
      });
      const adapter =
        provider === 'anthropic'
          ? new AnthropicAdapter(http, env)
          : new OpenAiAdapter(http, env);
      const body = { model: 'a', messages: [{ role: 'user', content: 'hi' }] };
      const result = await adapter.chat({
        profile,
        body,
        summary: summarizeChatRequest(body),
        signal: new AbortController().signal,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      expect(seen[seen.length - 1][header]).toBe(expected);
      expect(result.kind).toBe('failure');
      const failure = result.kind === 'failure' ? result.failure : undefined;
      expect(failure?.status).toBe(400);
      expect(failure?.message).toContain('bad key');
      expect(failure?.message).toContain('[redacted]');
      expect(failure?.message).not.toContain(SECRET);
    },
  );
});
