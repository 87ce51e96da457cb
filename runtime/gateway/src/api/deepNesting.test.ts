import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  KEYS,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const LEVELS = 10_000;
/** JSON text of arrays nested LEVELS deep: JSON.stringify of it overflows the stack. */
const DEEP_ARRAY = `${'['.repeat(LEVELS)}${']'.repeat(LEVELS)}`;
/** The same with objects. */
const DEEP_OBJECT = `${'{"a":'.repeat(LEVELS)}1${'}'.repeat(LEVELS)}`;

const MESSAGES = '[{"role":"user","content":"hi"}]';
const chat = (fields: string) =>
  `{"model":"gpt-4o-mini","max_tokens":8,"messages":${MESSAGES},${fields}}`;

/** [where the deep value sits, the body, the top-level field it must be reported under] */
const DEEP_CHAT_BODIES: Array<[string, string, string]> = [
  [
    'message content',
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${DEEP_ARRAY}}]}`,
    'messages',
  ],
  [
    'a content part',
    `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"x","extra":${DEEP_OBJECT}}]}]}`,
    'messages',
  ],
  [
    'tool calls of a message',
    `{"model":"gpt-4o-mini","messages":[{"role":"assistant","tool_calls":${DEEP_ARRAY}},{"role":"user","content":"x"}]}`,
    'messages',
  ],
  [
    'a tool schema',
    chat(
      `"tools":[{"type":"function","function":{"name":"f","parameters":${DEEP_OBJECT}}}]`,
    ),
    'tools',
  ],
  ['tools', chat(`"tools":${DEEP_ARRAY}`), 'tools'],
  [
    'a json_schema response format',
    chat(
      `"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":${DEEP_OBJECT}}}`,
    ),
    'response_format',
  ],
  ['logit_bias', chat(`"logit_bias":{"1":${DEEP_ARRAY}}`), 'logit_bias'],
  ['metadata', chat(`"metadata":${DEEP_OBJECT}`), 'metadata'],
  ['tool_choice', chat(`"tool_choice":${DEEP_OBJECT}`), 'tool_choice'],
  // Unknown fields travel upstream as they are: they must be refused too.
  [
    'an unknown field',
    chat(`"x_vendor_option":${DEEP_ARRAY}`),
    'x_vendor_option',
  ],
  [
    'a key with brackets and escapes in strings before it',
    chat(`"user":"[[{{\\"]]","deep\\"key":${DEEP_ARRAY}`),
    'deep"key',
  ],
];

describe('deeply nested JSON gets a 400 naming the field, never a stack overflow', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      config: { maxBodyBytes: 1024 * 1024 },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  const post = (path: string, body: string, key = KEYS.northwind) =>
    fetch(`${url}${path}`, {
      method: path.startsWith('/control') ? 'PUT' : 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      },
      body,
    });

  /** How the gateway answered a body: what the assertions compare. */
  async function answer(path: string, body: string) {
    const response = await post(path, body);
    const text = await response.text();
    let error: { type?: string; param?: string; message?: string } = {};
    try {
      error = JSON.parse(text).error ?? {};
    } catch {
      error = { message: text.slice(0, 200) };
    }
    return { status: response.status, ...error };
  }

  const refused = (param: string) => ({
    status: 400,
    type: 'invalid_request_error',
    param,
    message: expect.stringContaining('nested deeper than 64 levels'),
  });

  /** The status of a plain request sent after a refused one. */
  async function nextStatus() {
    const response = await post('/v1/chat/completions', chat('"user":"next"'));
    await response.text();
    return response.status;
  }

  it.each(DEEP_CHAT_BODIES)(
    'chat: %s, and the next request is served',
    async (_where, body, param) => {
      expect(await answer('/v1/chat/completions', body)).toMatchObject(
        refused(param),
      );
      expect(await nextStatus()).toBe(200);
    },
  );

  it('embeddings input, and the next request is served', async () => {
    expect(
      await answer(
        '/v1/embeddings',
        `{"model":"text-embedding-3-small","input":[${DEEP_ARRAY}]}`,
      ),
    ).toMatchObject(refused('input'));
    expect(await nextStatus()).toBe(200);
  });

  it('a pushed desired state', async () => {
    const response = await post(
      '/control/state',
      `{"schemaVersion":1,"tenants":${DEEP_ARRAY}}`,
      ADMIN_TOKEN,
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error.param).toBe('tenants');
    expect(await nextStatus()).toBe(200);
  });

  it('serves tool-call arguments whose JSON text nests deeper than the limit, to an Anthropic upstream too (chat and the Responses API)', async () => {
    const deepArguments = JSON.stringify(
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    );
    const toolCall = `{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":${deepArguments}}}]}`;
    const toolResult = '{"role":"tool","tool_call_id":"call_1","content":"ok"}';
    const send = (path: string, body: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.brightpath}`,
          'content-type': 'application/json',
        },
        body,
      });
    const chatAnswer = await send(
      '/v1/chat/completions',
      `{"model":"claude-haiku","max_tokens":8,"messages":[{"role":"user","content":"hi"},${toolCall},${toolResult}]}`,
    );
    expect([chatAnswer.status, await chatAnswer.text()]).toEqual([
      200,
      expect.stringContaining('chat.completion'),
    ]);
    const responsesAnswer = await send(
      '/v1/responses',
      `{"model":"claude-haiku","max_output_tokens":8,"input":[{"role":"user","content":"hi"},{"type":"function_call","call_id":"call_1","name":"f","arguments":${deepArguments}},{"type":"function_call_output","call_id":"call_1","output":"ok"}]}`,
    );
    expect([responsesAnswer.status, await responsesAnswer.text()]).toEqual([
      200,
      expect.stringContaining('"object":"response"'),
    ]);
  });

  it('takes nesting up to the limit: a 60-level tool schema is served', async () => {
    const schema = `${'{"type":"object","properties":{"a":'.repeat(
      28,
    )}{"type":"string"}${'}}'.repeat(28)}`;
    const response = await post(
      '/v1/chat/completions',
      chat(
        `"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]`,
      ),
    );
    expect(response.status).toBe(200);
  });
});
