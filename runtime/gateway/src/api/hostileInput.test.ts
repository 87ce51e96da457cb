/**
 * Input a hostile or careless caller sends (lone surrogates, NUL bytes, numbers no double
 * holds, a byte-order mark, another content type or encoding, values just outside the
 * documented ranges of each API) gets a clear answer: served, or a 4xx that names the field in
 * the API's own error shape. Never a 500, a stack trace, a header it injects, or an event the
 * portal could not store. `badInput.test.ts`, `requestParams.test.ts` and
 * `translatedApiChecks.test.ts` hold the plainer mistakes.
 */
import { gzipSync } from 'node:zlib';
import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import { rawConnection } from '../__testUtils__/rawConnection';
import type { Gateway } from '../createGateway';

jest.setTimeout(30_000);

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const MESSAGES = '/v1/messages';

/** The smallest valid body of each API, as JSON text without its braces. */
const BASE: Record<string, string> = {
  [CHAT]: '"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]',
  [RESPONSES]: '"model":"gpt-4o","input":"hi"',
  [MESSAGES]:
    '"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"hi"}]',
};
const withField = (path: string, field: string) => `{${BASE[path]},${field}}`;
/** A body whose prompt is `text`, as JSON string content (escapes and all). */
const withPrompt = (path: string, text: string) =>
  path === RESPONSES
    ? `{"model":"gpt-4o","input":"${text}"}`
    : `{${BASE[path].replace('"content":"hi"', `"content":"${text}"`)}}`;

interface Case {
  path: string;
  name: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** The status wanted: exact, any 4xx, or 'answered' for 200 or any 4xx. */
  want: number | '4xx' | 'answered';
  /** The field a refusal names: `param` in OpenAI's shape, in the message in Anthropic's. */
  param?: string;
}

const CASES: Case[] = [CHAT, RESPONSES, MESSAGES].flatMap(path => {
  const json = BASE[path];
  const cases: Array<Omit<Case, 'path'>> = [
    {
      name: 'a lone high surrogate in the prompt',
      body: withPrompt(path, 'a\\ud800b'),
      want: 'answered',
    },
    {
      name: 'a lone low surrogate in the prompt',
      body: withPrompt(path, '\\udfff'),
      want: 'answered',
    },
    {
      name: 'NUL characters in the prompt',
      body: withPrompt(path, 'a\\u0000b\\u0000'),
      want: 'answered',
    },
    {
      name: 'CRLF and a header in the model name',
      body: `{${json.replace('"gpt-4o"', '"gpt-4o\\r\\nX-Injected: yes"')}}`,
      want: '4xx',
    },
    {
      name: 'a 50,000-character model name',
      body: `{${json.replace('"gpt-4o"', `"${'m'.repeat(50_000)}"`)}}`,
      want: 400,
      param: 'model',
    },
    {
      name: 'a byte-order mark before the JSON',
      body: Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`{${json}}`),
      ]),
      want: 'answered',
    },
    {
      name: 'bytes that are not UTF-8 in a string',
      body: Buffer.concat([
        Buffer.from(withPrompt(path, 'x').slice(0, -4)),
        Buffer.from([0xff, 0xfe, 0xc0]),
        Buffer.from('"}]}'),
      ]),
      want: 'answered',
    },
    {
      name: 'a duplicate key whose last value is wrong',
      body: `{${json},"model":5}`,
      want: 400,
      param: 'model',
    },
    {
      name: 'a text/plain content type',
      body: `{${json}}`,
      headers: { 'content-type': 'text/plain' },
      want: 'answered',
    },
    {
      name: 'no content type',
      body: `{${json}}`,
      headers: { 'content-type': '' },
      want: 'answered',
    },
    {
      name: 'a gzip content encoding',
      body: gzipSync(Buffer.from(`{${json}}`)),
      headers: { 'content-encoding': 'gzip' },
      want: 415,
      param: 'content-encoding',
    },
    {
      name: 'temperature 1e400',
      body: withField(path, '"temperature":1e400'),
      want: 400,
      param: 'temperature',
    },
    {
      name: 'top_p -1e400',
      body: withField(path, '"top_p":-1e400'),
      want: 400,
      param: 'top_p',
    },
    {
      name: 'temperature -0',
      body: withField(path, '"temperature":-0'),
      want: 200,
    },
  ];
  return cases.map(c => ({ path, ...c }));
});

CASES.push(
  ...[
    {
      name: 'max_tokens 1e400',
      body: withField(CHAT, '"max_tokens":1e400'),
      want: 400,
      param: 'max_tokens',
    },
    {
      name: 'max_tokens 2^53+1',
      body: withField(CHAT, '"max_tokens":9007199254740993'),
      want: 400,
      param: 'max_tokens',
    },
    { name: 'n -0', body: withField(CHAT, '"n":-0'), want: 400, param: 'n' },
    {
      name: 'n 1e400',
      body: withField(CHAT, '"n":1e400'),
      want: 400,
      param: 'n',
    },
    {
      name: 'seed 1e400',
      body: withField(CHAT, '"seed":1e400'),
      want: 400,
      param: 'seed',
    },
    {
      name: 'seed 2^64, beyond int64',
      body: withField(CHAT, '"seed":18446744073709551616'),
      want: 400,
      param: 'seed',
    },
    {
      name: 'a logit_bias of 1e400',
      body: withField(CHAT, '"logit_bias":{"50256":1e400}'),
      want: 400,
      param: 'logit_bias.50256',
    },
    {
      name: 'a 50,000-character user',
      body: withField(CHAT, `"user":"${'u'.repeat(50_000)}"`),
      want: 'answered',
    },
    {
      name: 'a user with a lone surrogate',
      body: withField(CHAT, '"user":"\\ud800"'),
      want: 'answered',
    },
    {
      name: 'a stop sequence with a lone surrogate',
      body: withField(CHAT, '"stop":["\\udc00"]'),
      want: 'answered',
    },
    {
      name: 'a metadata key with a lone surrogate',
      body: withField(CHAT, '"metadata":{"\\ud800":"x"}'),
      want: 'answered',
    },
    {
      name: 'a tool name 1e400',
      body: withField(
        CHAT,
        '"tools":[{"type":"function","function":{"name":1e400}}]',
      ),
      want: 400,
      param: 'tools.0.function.name',
    },
    {
      name: 'a message name with a lone surrogate',
      body: '{"model":"gpt-4o","messages":[{"role":"user","name":"\\ud800","content":"hi"}]}',
      want: 'answered',
    },
    {
      name: 'a content part with a lone surrogate',
      body: '{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"\\udbff"}]}]}',
      want: 'answered',
    },
  ].map(c => ({ path: CHAT, ...c } as Case)),
  ...[
    {
      name: 'max_output_tokens 1e400',
      body: withField(RESPONSES, '"max_output_tokens":1e400'),
      want: 400,
      param: 'max_output_tokens',
    },
    {
      name: 'max_output_tokens 1.5',
      body: withField(RESPONSES, '"max_output_tokens":1.5'),
      want: 400,
      param: 'max_output_tokens',
    },
    {
      name: 'max_output_tokens -0',
      body: withField(RESPONSES, '"max_output_tokens":-0'),
      want: 400,
      param: 'max_output_tokens',
    },
    {
      name: 'temperature 2.0001',
      body: withField(RESPONSES, '"temperature":2.0001'),
      want: 400,
      param: 'temperature',
    },
    {
      name: 'top_p 1.5',
      body: withField(RESPONSES, '"top_p":1.5'),
      want: 400,
      param: 'top_p',
    },
    {
      name: 'top_logprobs -1',
      body: withField(RESPONSES, '"top_logprobs":-1'),
      want: 400,
      param: 'top_logprobs',
    },
    {
      name: 'parallel_tool_calls "yes"',
      body: withField(RESPONSES, '"parallel_tool_calls":"yes"'),
      want: 400,
      param: 'parallel_tool_calls',
    },
    {
      name: 'metadata not an object',
      body: withField(RESPONSES, '"metadata":[1]'),
      want: 400,
      param: 'metadata',
    },
    {
      name: 'a metadata value not a string',
      body: withField(RESPONSES, '"metadata":{"a":1}'),
      want: 400,
      param: 'metadata.a',
    },
    {
      name: 'metadata of 17 keys (at most 16)',
      body: withField(
        RESPONSES,
        `"metadata":{${Array.from({ length: 17 }, (_, i) => `"k${i}":"v"`).join(
          ',',
        )}}`,
      ),
      want: 400,
      param: 'metadata',
    },
    {
      name: 'a metadata value of 513 characters (at most 512)',
      body: withField(RESPONSES, `"metadata":{"k":"${'v'.repeat(513)}"}`),
      want: 400,
      param: 'metadata.k',
    },
    {
      name: 'user a number',
      body: withField(RESPONSES, '"user":5'),
      want: 400,
      param: 'user',
    },
    {
      name: 'instructions with a lone surrogate',
      body: withField(RESPONSES, '"instructions":"\\ud800"'),
      want: 'answered',
    },
    {
      name: 'tool_choice "sometimes"',
      body: withField(RESPONSES, '"tool_choice":"sometimes"'),
      want: 400,
      param: 'tool_choice',
    },
    {
      name: 'reasoning.summary "verbose"',
      body: withField(RESPONSES, '"reasoning":{"summary":"verbose"}'),
      want: 400,
      param: 'reasoning.summary',
    },
    {
      name: 'a json_schema format without a name',
      body: withField(
        RESPONSES,
        '"text":{"format":{"type":"json_schema","schema":{"type":"object"}}}',
      ),
      want: 400,
      param: 'text.format.name',
    },
    {
      name: 'input text 1e400',
      body: '{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_text","text":1e400}]}]}',
      want: 400,
      param: 'input.0.content.0.text',
    },
    {
      name: 'a function call of a 50,000-character call_id',
      body: `{"model":"gpt-4o","input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"${'c'.repeat(
        50_000,
      )}","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"${'c'.repeat(
        50_000,
      )}","output":"r"}]}`,
      want: 'answered',
    },
  ].map(c => ({ path: RESPONSES, ...c } as Case)),
  ...[
    {
      name: 'max_tokens 1e400',
      body: '{"model":"gpt-4o","max_tokens":1e400,"messages":[{"role":"user","content":"hi"}]}',
      want: 400,
      param: 'max_tokens',
    },
    {
      name: 'max_tokens 0',
      body: '{"model":"gpt-4o","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}',
      want: 400,
      param: 'max_tokens',
    },
    {
      name: "temperature 1, Anthropic's highest",
      body: withField(MESSAGES, '"temperature":1'),
      want: 200,
    },
    {
      name: 'temperature -0.1',
      body: withField(MESSAGES, '"temperature":-0.1'),
      want: 400,
      param: 'temperature',
    },
    {
      name: 'top_p 1.01',
      body: withField(MESSAGES, '"top_p":1.01'),
      want: 400,
      param: 'top_p',
    },
    {
      name: "top_k 0, Anthropic's lowest",
      body: withField(MESSAGES, '"top_k":0'),
      want: 200,
    },
    {
      name: 'top_k -1',
      body: withField(MESSAGES, '"top_k":-1'),
      want: 400,
      param: 'top_k',
    },
    {
      name: 'top_k 1.5',
      body: withField(MESSAGES, '"top_k":1.5'),
      want: 400,
      param: 'top_k',
    },
    {
      name: 'stop_sequences a string',
      body: withField(MESSAGES, '"stop_sequences":"END"'),
      want: 400,
      param: 'stop_sequences',
    },
    {
      name: 'a stop sequence a number',
      body: withField(MESSAGES, '"stop_sequences":["a",7]'),
      want: 400,
      param: 'stop_sequences.1',
    },
    {
      name: 'a system block not text',
      body: withField(MESSAGES, '"system":[{"type":"image"}]'),
      want: 400,
      param: 'system.0',
    },
    {
      name: 'a tool choice of a tool without a name',
      body: withField(
        MESSAGES,
        '"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool"}',
      ),
      want: 400,
      param: 'tool_choice.name',
    },
    {
      name: 'disable_parallel_tool_use "yes"',
      body: withField(
        MESSAGES,
        '"tool_choice":{"type":"auto","disable_parallel_tool_use":"yes"}',
      ),
      want: 400,
      param: 'tool_choice.disable_parallel_tool_use',
    },
    {
      name: 'a 50,000-character metadata.user_id',
      body: withField(
        MESSAGES,
        `"metadata":{"user_id":"${'u'.repeat(50_000)}"}`,
      ),
      want: 'answered',
    },
    {
      name: 'a metadata.user_id with a lone surrogate',
      body: withField(MESSAGES, '"metadata":{"user_id":"\\ud800"}'),
      want: 'answered',
    },
    {
      name: 'a text block 1e400',
      body: '{"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":1e400}]}]}',
      want: 400,
      param: 'messages.0.content.0.text',
    },
    {
      name: 'stream "true", a string',
      body: withField(MESSAGES, '"stream":"true"'),
      want: 400,
      param: 'stream',
    },
  ].map(c => ({ path: MESSAGES, ...c } as Case)),
);

function asWanted(want: Case['want'], status: number): boolean {
  const refused = status >= 400 && status < 500;
  if (want === 'answered') return status === 200 || refused;
  if (want === '4xx') return refused;
  return status === want;
}

describe('hostile input gets a clear answer, never a 500', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;
  /** Events the portal would refuse: the recording sink checks each against its contract. */
  const unstorable: string[] = [];

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url, {
      config: { maxBodyBytes: 256 * 1024 },
    }));
    const publish = events.publish.bind(events);
    events.publish = (batch, written) => {
      try {
        publish(batch, written);
      } catch (error) {
        unstorable.push(String(error).slice(0, 300));
        written();
      }
    };
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  it.each(CASES.map(c => [`${c.path}: ${c.name}`, c] as const))(
    '%s',
    async (_name, c) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${KEYS.northwind}`,
        'content-type': 'application/json',
        ...c.headers,
      };
      if (headers['content-type'] === '') delete headers['content-type'];
      const response = await fetch(`${url}${c.path}`, {
        method: 'POST',
        headers,
        body: c.body,
      });
      const text = await response.text();
      let error: { message?: unknown; param?: unknown } | undefined;
      try {
        error = JSON.parse(text).error;
      } catch {
        error = undefined;
      }
      const named =
        c.path === MESSAGES
          ? String(error?.message).includes(c.param ?? '')
          : error?.param === c.param;
      expect({
        answer: text.slice(0, 300),
        statusAsWanted: asWanted(c.want, response.status),
        stackTrace: /\n\s+at /.test(text),
        injected: response.headers.get('x-injected'),
        refusalSaysWhy:
          response.status < 400 || typeof error?.message === 'string',
        namesField: c.param === undefined || named,
      }).toEqual({
        answer: expect.any(String),
        statusAsWanted: true,
        stackTrace: false,
        injected: null,
        refusalSaysWhy: true,
        namesField: true,
      });
    },
  );

  it('answers a chunked body over the limit 413, not a 500 or a hang', async () => {
    const { socket, seen } = await rawConnection(url);
    socket.write(
      `POST ${CHAT} HTTP/1.1\r\nHost: ${
        new URL(url).host
      }\r\nAuthorization: Bearer ${KEYS.northwind}\r\n` +
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const piece = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 12 && !seen.closed; i++) {
      socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    for (let i = 0; i < 200 && !seen.received.includes('\r\n\r\n'); i++) {
      await new Promise(resolve => setTimeout(resolve, 25));
    }
    socket.destroy();
    expect(seen.received.split('\r\n')[0]).toBe(
      'HTTP/1.1 413 Payload Too Large',
    );
  });

  it('recorded every request above in events the portal can store, and still serves', async () => {
    expect(unstorable).toEqual([]);
    const response = await fetch(`${url}${CHAT}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.northwind}`,
        'content-type': 'application/json',
      },
      body: `{${BASE[CHAT]}}`,
    });
    expect(response.status).toBe(200);
  });
});
