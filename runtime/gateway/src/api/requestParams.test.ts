import type { SimulatorServer } from '@cellport/simulator';
import { KEYS, startGateway, startSimulator } from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

type Fields = Record<string, unknown>;

interface ParamCase {
  /** The `param` a bad value must be reported under. */
  param: string;
  /** Fields merged into a minimal valid request: the upstream answers 200. */
  valid: Fields;
  /** Fields that make it invalid. */
  invalid: Fields;
  /** The end of the refusal's message, where it must say more than the field's name. */
  endsWith?: string;
}

const TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};
const TOOL_TURN = [
  { role: 'user', content: 'weather?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
      },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
];

/** The same turn in the API's legacy form: `function_call` and a `function` message. */
const LEGACY_FUNCTION_TURN = [
  { role: 'user', content: 'weather?' },
  {
    role: 'assistant',
    content: null,
    function_call: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
  },
  { role: 'function', name: 'get_weather', content: 'sunny' },
];

/** An entry of `allowed_tools`: the function named. */
const allowedFunction = (name: string) => ({
  type: 'function',
  function: { name },
});
/** `tool_choice` of the tools listed (get_weather unless told), in `mode`. */
const allowedTools = (
  mode: string,
  tools: Fields[] = [allowedFunction('get_weather')],
) => ({ type: 'allowed_tools', allowed_tools: { mode, tools } });
const customTool = (custom: Fields) => ({
  tools: [{ type: 'custom', custom: { name: 'run_sql', ...custom } }],
});
/** An assistant turn that called a custom tool with `call`'s fields, and its answer. */
const customToolTurn = (call: Fields | null) => ({
  messages: [
    { role: 'user', content: 'how many rows?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_7', type: 'custom', custom: call }],
    },
    { role: 'tool', tool_call_id: 'call_7', content: '42' },
  ],
});

/** Every OpenAI chat parameter with a value OpenAI takes and one it refuses. */
/** A chat image part whose URL is `valid`, then `invalid`. */
function imageUrlCase(valid: string, invalid: string): ParamCase {
  const image = (url: string) => ({
    messages: [
      { role: 'user', content: [{ type: 'image_url', image_url: { url } }] },
    ],
  });
  return {
    param: 'messages.0.content.0.image_url.url',
    valid: image(valid),
    invalid: image(invalid),
  };
}

const CHAT_CASES: ParamCase[] = [
  {
    param: 'temperature',
    valid: { temperature: 2 },
    invalid: { temperature: 2.1 },
  },
  {
    param: 'temperature',
    valid: { temperature: 0 },
    invalid: { temperature: -0.1 },
  },
  {
    param: 'temperature',
    valid: { temperature: null },
    invalid: { temperature: '1' },
  },
  { param: 'top_p', valid: { top_p: 1 }, invalid: { top_p: 1.01 } },
  { param: 'top_p', valid: { top_p: 0 }, invalid: { top_p: -1 } },
  {
    param: 'tools.0.custom.description',
    valid: customTool({ description: 'Runs one SQL query' }),
    invalid: customTool({ description: 5 }),
  },
  {
    param: 'tools.0.custom.format.type',
    valid: customTool({ format: { type: 'text' } }),
    invalid: customTool({ format: { type: 'xml' } }),
  },
  {
    param: 'tools.0.custom.format.grammar.syntax',
    valid: customTool({
      format: {
        type: 'grammar',
        grammar: { syntax: 'lark', definition: 'start: "SELECT"' },
      },
    }),
    invalid: customTool({
      format: {
        type: 'grammar',
        grammar: { syntax: 'peg', definition: 'start: "SELECT"' },
      },
    }),
  },
  {
    param: 'tools.0.custom.format.grammar.definition',
    valid: customTool({
      format: {
        type: 'grammar',
        grammar: { syntax: 'regex', definition: '\\d+' },
      },
    }),
    invalid: customTool({
      format: { type: 'grammar', grammar: { syntax: 'regex', definition: '' } },
    }),
  },
  {
    param: 'tool_choice.allowed_tools.mode',
    valid: { tools: [TOOL], tool_choice: allowedTools('required') },
    invalid: { tools: [TOOL], tool_choice: allowedTools('sometimes') },
  },
  {
    param: 'tool_choice.allowed_tools.tools.0.function.name',
    valid: { tools: [TOOL], tool_choice: allowedTools('auto') },
    invalid: {
      tools: [TOOL],
      tool_choice: allowedTools('auto', [allowedFunction('get_time')]),
    },
  },
  {
    param: 'tool_choice.allowed_tools.tools.1.type',
    valid: {
      tools: [TOOL, ...customTool({}).tools],
      tool_choice: allowedTools('auto', [
        allowedFunction('get_weather'),
        { type: 'custom', custom: { name: 'run_sql' } },
      ]),
    },
    invalid: {
      tools: [TOOL, ...customTool({}).tools],
      tool_choice: allowedTools('auto', [
        allowedFunction('get_weather'),
        { type: 'mcp', server_label: 'docs' },
      ]),
    },
  },
  {
    param: 'tool_choice.allowed_tools.tools',
    valid: { tools: [TOOL], tool_choice: allowedTools('auto') },
    invalid: { tools: [TOOL], tool_choice: allowedTools('auto', []) },
  },
  {
    param: 'tool_choice.custom.name',
    valid: {
      ...customTool({}),
      tool_choice: { type: 'custom', custom: { name: 'run_sql' } },
    },
    invalid: {
      ...customTool({}),
      tool_choice: { type: 'custom', custom: { name: 'run_shell' } },
    },
  },
  {
    param: 'tool_choice.custom',
    valid: { ...customTool({}), tool_choice: 'required' },
    invalid: { ...customTool({}), tool_choice: { type: 'custom' } },
  },
  {
    param: 'messages.1.tool_calls.0.custom.input',
    valid: customToolTurn({ name: 'run_sql', input: 'SELECT count(*) FROM t' }),
    invalid: customToolTurn({ name: 'run_sql', input: { sql: 'SELECT 1' } }),
  },
  {
    param: 'messages.1.tool_calls.0.custom',
    valid: customToolTurn({ name: 'run_sql', input: '' }),
    invalid: customToolTurn(null),
  },
  { param: 'n', valid: { n: 2 }, invalid: { n: 0 } },
  { param: 'n', valid: { n: 128 }, invalid: { n: 129 } },
  { param: 'n', valid: { n: 1 }, invalid: { n: 1.5 } },
  {
    param: 'presence_penalty',
    valid: { presence_penalty: -2 },
    invalid: { presence_penalty: -2.5 },
  },
  {
    param: 'frequency_penalty',
    valid: { frequency_penalty: 2 },
    invalid: { frequency_penalty: 3 },
  },
  {
    param: 'frequency_penalty',
    valid: { frequency_penalty: 0.5 },
    invalid: { frequency_penalty: 'high' },
  },
  { param: 'stop', valid: { stop: 'END' }, invalid: { stop: 5 } },
  {
    param: 'stop',
    valid: { stop: ['a', 'b', 'c', 'd'] },
    invalid: { stop: ['a', 'b', 'c', 'd', 'e'] },
  },
  { param: 'stop.1', valid: { stop: ['a', 'b'] }, invalid: { stop: ['a', 7] } },
  { param: 'seed', valid: { seed: 42 }, invalid: { seed: 4.2 } },
  { param: 'seed', valid: { seed: -7 }, invalid: { seed: '42' } },
  {
    param: 'seed',
    valid: { seed: Number.MAX_SAFE_INTEGER },
    invalid: { seed: 2 ** 53 + 2 },
  },
  {
    param: 'logit_bias.50256',
    valid: { logit_bias: { '50256': -100 } },
    invalid: { logit_bias: { '50256': -101 } },
  },
  {
    param: 'logit_bias.1',
    valid: { logit_bias: { '1': 100 } },
    invalid: { logit_bias: { '1': 'ban' } },
  },
  {
    param: 'logit_bias',
    valid: { logit_bias: {} },
    invalid: { logit_bias: { hello: 1 } },
  },
  {
    param: 'logit_bias',
    valid: { logit_bias: null },
    invalid: { logit_bias: [1, 2] },
  },
  {
    param: 'logprobs',
    valid: { logprobs: true },
    invalid: { logprobs: 'yes' },
  },
  {
    param: 'top_logprobs',
    valid: { logprobs: true, top_logprobs: 20 },
    invalid: { logprobs: true, top_logprobs: 21 },
  },
  {
    param: 'top_logprobs',
    valid: { logprobs: true, top_logprobs: 0 },
    invalid: { logprobs: true, top_logprobs: -1 },
  },
  {
    param: 'top_logprobs',
    valid: { logprobs: true, top_logprobs: 3 },
    invalid: { top_logprobs: 3 },
  },
  {
    param: 'max_tokens',
    valid: { max_tokens: 16 },
    invalid: { max_tokens: 0 },
  },
  {
    param: 'max_tokens',
    valid: { max_tokens: 1 },
    invalid: { max_tokens: '16' },
  },
  {
    param: 'max_completion_tokens',
    valid: { max_completion_tokens: 16 },
    invalid: { max_completion_tokens: -1 },
  },
  {
    param: 'max_completion_tokens',
    valid: { max_completion_tokens: 8 },
    invalid: { max_completion_tokens: 2.5 },
  },
  // Before: beside a valid max_completion_tokens, any max_tokens at all passed.
  {
    param: 'max_tokens',
    valid: { max_completion_tokens: 8, max_tokens: 8 },
    invalid: { max_completion_tokens: 8, max_tokens: 'abc' },
  },
  { param: 'stream', valid: { stream: true }, invalid: { stream: 1 } },
  {
    param: 'stream_options',
    valid: { stream: true, stream_options: { include_usage: true } },
    invalid: { stream_options: { include_usage: true } },
  },
  {
    param: 'stream_options',
    valid: { stream: true, stream_options: {} },
    invalid: { stream: true, stream_options: 'usage' },
  },
  {
    param: 'stream_options.include_usage',
    valid: { stream: true, stream_options: { include_usage: false } },
    invalid: { stream: true, stream_options: { include_usage: 'yes' } },
  },
  { param: 'user', valid: { user: 'user-1234' }, invalid: { user: 1234 } },
  {
    param: 'metadata.team',
    valid: { metadata: { team: 'checkout' } },
    invalid: { metadata: { team: 7 } },
  },
  {
    param: 'metadata',
    valid: { metadata: {} },
    invalid: { metadata: 'team=checkout' },
  },
  { param: 'store', valid: { store: false }, invalid: { store: 'no' } },
  {
    param: 'parallel_tool_calls',
    valid: { tools: [TOOL], parallel_tool_calls: false },
    invalid: { tools: [TOOL], parallel_tool_calls: 'no' },
  },
  {
    param: 'reasoning_effort',
    valid: { reasoning_effort: 'low' },
    invalid: { reasoning_effort: 1 },
  },
  {
    param: 'reasoning_effort',
    valid: { reasoning_effort: 'minimal' },
    invalid: { reasoning_effort: 'extreme' },
  },
  {
    param: 'verbosity',
    valid: { verbosity: 'low' },
    invalid: { verbosity: 'loud' },
  },
  {
    param: 'prediction.type',
    valid: { prediction: { type: 'content', content: 'const x = 1;' } },
    invalid: { prediction: { type: 'other', content: 'const x = 1;' } },
  },
  {
    param: 'prediction.content',
    valid: {
      prediction: { type: 'content', content: [{ type: 'text', text: 'x' }] },
    },
    invalid: { prediction: { type: 'content', content: 5 } },
  },
  {
    param: 'modalities',
    valid: { modalities: ['text'] },
    invalid: { modalities: ['smell'] },
  },
  // Options billed beyond the profile's token prices would escape the budget's reservation.
  {
    param: 'service_tier',
    valid: { service_tier: 'flex' },
    invalid: { service_tier: 'priority' },
    endsWith:
      'billed above the model profile prices that budgets are reserved at',
  },
  {
    param: 'service_tier',
    valid: { service_tier: 'default' },
    invalid: { service_tier: 'turbo' },
    // The tiers it takes, not one it refuses.
    endsWith: 'must be one of auto, default, flex, scale',
  },
  {
    param: 'modalities',
    valid: { modalities: ['text'] },
    invalid: { modalities: ['text', 'audio'] },
  },
  {
    param: 'audio',
    valid: { audio: null },
    invalid: { audio: { voice: 'alloy', format: 'wav' } },
  },
  {
    param: 'web_search_options',
    valid: { web_search_options: null },
    invalid: { web_search_options: {} },
  },
  {
    param: 'response_format',
    valid: { response_format: { type: 'json_object' } },
    invalid: { response_format: 'json' },
  },
  {
    param: 'response_format.type',
    valid: { response_format: { type: 'text' } },
    invalid: { response_format: { type: 'xml' } },
  },
  {
    param: 'response_format.type',
    valid: { response_format: { type: 'json_object' } },
    invalid: { response_format: {} },
  },
  {
    param: 'response_format.json_schema',
    valid: {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'answer',
          schema: { type: 'object' },
          strict: true,
        },
      },
    },
    invalid: { response_format: { type: 'json_schema' } },
  },
  {
    param: 'response_format.json_schema.name',
    valid: {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer_v2' },
      },
    },
    invalid: {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'no spaces allowed' },
      },
    },
  },
  {
    param: 'response_format.json_schema.schema',
    valid: {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'a', schema: {} },
      },
    },
    invalid: {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'a', schema: 'object' },
      },
    },
  },
  { param: 'tools', valid: { tools: [TOOL] }, invalid: { tools: 'all' } },
  { param: 'tools', valid: { tools: [] }, invalid: { tools: { 0: TOOL } } },
  {
    param: 'tools.0.type',
    valid: { tools: [TOOL] },
    invalid: { tools: [{ function: TOOL.function }] },
  },
  {
    param: 'tools.1.type',
    valid: { tools: [TOOL, TOOL] },
    invalid: { tools: [TOOL, { type: 'magic', function: TOOL.function }] },
  },
  {
    param: 'tools.0.function',
    valid: { tools: [TOOL] },
    invalid: { tools: [{ type: 'function' }] },
  },
  {
    param: 'tools.0.function.name',
    valid: { tools: [TOOL] },
    invalid: {
      tools: [{ type: 'function', function: { name: 'get weather!' } }],
    },
  },
  {
    param: 'tools.0.function.name',
    valid: { tools: [TOOL] },
    invalid: {
      tools: [{ type: 'function', function: { name: 'x'.repeat(65) } }],
    },
  },
  {
    param: 'tools.0.function.parameters',
    valid: { tools: [TOOL] },
    invalid: {
      tools: [
        { type: 'function', function: { name: 'f', parameters: 'object' } },
      ],
    },
  },
  {
    param: 'tools.0.function.description',
    valid: { tools: [TOOL] },
    invalid: {
      tools: [{ type: 'function', function: { name: 'f', description: 5 } }],
    },
  },
  {
    param: 'tool_choice',
    valid: { tools: [TOOL], tool_choice: 'required' },
    invalid: { tools: [TOOL], tool_choice: 'sometimes' },
  },
  {
    param: 'tool_choice.type',
    valid: { tools: [TOOL], tool_choice: 'auto' },
    invalid: { tools: [TOOL], tool_choice: { type: 'bogus' } },
  },
  {
    param: 'tool_choice',
    valid: { tools: [TOOL], tool_choice: 'none' },
    invalid: {
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    },
  },
  {
    param: 'tool_choice.function.name',
    valid: {
      tools: [TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    },
    invalid: { tools: [TOOL], tool_choice: { type: 'function', function: {} } },
  },
  // A call is forced, and there is nothing (or not that) to call.
  {
    param: 'tool_choice',
    valid: { tools: [TOOL], tool_choice: 'required' },
    invalid: { tool_choice: 'required' },
    endsWith: 'is only allowed when tools are given',
  },
  {
    param: 'tool_choice.function.name',
    valid: {
      tools: [TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    },
    invalid: {
      tools: [TOOL],
      tool_choice: { type: 'function', function: { name: 'get_wether' } },
    },
    endsWith: 'names no function in tools: get_wether',
  },
  {
    param: 'functions.0.name',
    valid: { functions: [TOOL.function] },
    invalid: { functions: [{ name: '' }] },
  },
  {
    param: 'function_call',
    valid: { functions: [TOOL.function], function_call: 'auto' },
    invalid: { functions: [TOOL.function], function_call: 3 },
  },
  // The older function calling is held to the same rule as tool_choice.
  {
    param: 'function_call.name',
    valid: {
      functions: [TOOL.function],
      function_call: { name: 'get_weather' },
    },
    invalid: {
      functions: [TOOL.function],
      function_call: { name: 'get_wether' },
    },
    endsWith: 'names no function in functions: get_wether',
  },
  {
    param: 'function_call',
    valid: {
      functions: [TOOL.function],
      function_call: { name: 'get_weather' },
    },
    invalid: { function_call: { name: 'get_weather' } },
    endsWith: 'is only allowed when functions are given',
  },
  { param: 'messages', valid: {}, invalid: { messages: [] } },
  {
    param: 'messages.0.role',
    valid: {},
    invalid: { messages: [{ role: 'wizard', content: 'x' }] },
  },
  {
    param: 'messages.0.content',
    valid: { messages: [{ role: 'user', content: '' }] },
    invalid: { messages: [{ role: 'user' }] },
  },
  {
    param: 'messages.0.content',
    valid: { messages: [{ role: 'user', content: 'x' }] },
    invalid: { messages: [{ role: 'user', content: { text: 'x' } }] },
  },
  // An empty list of parts is no content, whatever the role (OpenAI: "empty array").
  {
    param: 'messages.0.content',
    valid: {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
    },
    invalid: { messages: [{ role: 'user', content: [] }] },
    endsWith: 'must hold at least one part',
  },
  {
    param: 'messages.1.content',
    valid: {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'y' },
      ],
    },
    invalid: {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [] },
      ],
    },
    endsWith: 'must hold at least one part',
  },
  {
    param: 'messages.0.content',
    valid: {
      messages: [
        { role: 'assistant', content: 'x' },
        { role: 'user', content: 'y' },
      ],
    },
    invalid: {
      messages: [
        { role: 'assistant', content: null },
        { role: 'user', content: 'y' },
      ],
    },
  },
  {
    param: 'messages.0.content.1.text',
    valid: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    },
    invalid: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 5 },
          ],
        },
      ],
    },
  },
  {
    param: 'messages.0.content.0.type',
    valid: {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }] }],
    },
    invalid: { messages: [{ role: 'user', content: ['a'] }] },
  },
  // A file's tokens follow neither its bytes nor a fixed allowance: no reservation bounds it.
  {
    param: 'messages.0.content.1.type',
    valid: {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }] }],
    },
    invalid: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'summarize' },
            { type: 'file', file: { file_id: 'file-abc123' } },
          ],
        },
      ],
    },
  },
  {
    param: 'messages.0.content.0.image_url.url',
    valid: {
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image_url',
              image_url: { url: 'data:image/png;base64,AAAA' },
            },
          ],
        },
      ],
    },
    invalid: {
      messages: [
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: 'http://x' }],
        },
      ],
    },
  },
  // An image URL an upstream reads: http(s), or base64 data of a JPEG, PNG, GIF or WebP image,
  // its data: URL read case-insensitively.
  imageUrlCase('data:image/webp;base64,UklGRg==', 'data:image/bmp;base64,Qk0='),
  // eslint-disable-next-line no-script-url -- a hostile caller's image, refused
  imageUrlCase('data:image/webp;base64,UklGRg==', 'javascript:alert(1)'),
  imageUrlCase(
    'data:image/webp;base64,UklGRg==',
    'data:image/png;base64,not base64!',
  ),
  imageUrlCase('DATA:IMAGE/PNG;BASE64,iVBORw0KGgo=', 'data:image/png;base64,'),
  {
    param: 'messages.0.content.0.image_url.detail',
    valid: {
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image_url',
              image_url: { url: 'http://x', detail: 'low' },
            },
          ],
        },
      ],
    },
    invalid: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'http://x', detail: 5 } },
          ],
        },
      ],
    },
  },
  {
    param: 'messages.0.name',
    valid: { messages: [{ role: 'user', name: 'ada', content: 'x' }] },
    invalid: { messages: [{ role: 'user', name: 5, content: 'x' }] },
  },
  {
    param: 'messages.2.tool_call_id',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      tools: [TOOL],
      messages: [
        TOOL_TURN[0],
        TOOL_TURN[1],
        { role: 'tool', content: 'sunny' },
      ],
    },
  },
  // Before: tool turns out of sequence went on to the upstream, which refused them in its own
  // words (Anthropic's tool_result needs its tool_use) after the reservation was taken.
  {
    param: 'messages.2.tool_call_id',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      tools: [TOOL],
      messages: [
        TOOL_TURN[0],
        TOOL_TURN[1],
        { role: 'tool', tool_call_id: 'call_9', content: 'sunny' },
      ],
    },
  },
  {
    param: 'messages.1.role',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      tools: [TOOL],
      messages: [TOOL_TURN[0], TOOL_TURN[2]],
    },
  },
  {
    param: 'messages.4.role',
    valid: { tools: [TOOL], messages: [...TOOL_TURN, TOOL_TURN[0]] },
    invalid: {
      tools: [TOOL],
      messages: [...TOOL_TURN, TOOL_TURN[0], TOOL_TURN[2]],
    },
  },
  {
    param: 'messages.3.tool_call_id',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: { tools: [TOOL], messages: [...TOOL_TURN, TOOL_TURN[2]] },
  },
  {
    param: 'messages.1.tool_calls.0',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: { tools: [TOOL], messages: [TOOL_TURN[0], TOOL_TURN[1]] },
    endsWith: '"call_1" has no answer right after its assistant turn',
  },
  {
    param: 'messages.1.tool_calls.0',
    valid: { tools: [TOOL], messages: [...TOOL_TURN, TOOL_TURN[0]] },
    invalid: {
      tools: [TOOL],
      messages: [TOOL_TURN[0], TOOL_TURN[1], TOOL_TURN[0]],
    },
  },
  // Before: an assistant turn's refusal of any type went on to the upstream.
  {
    param: 'messages.1.refusal',
    valid: {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'No.', refusal: 'I cannot help.' },
        { role: 'user', content: 'y' },
      ],
    },
    invalid: {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'ok', refusal: { nested: [1] } },
        { role: 'user', content: 'y' },
      ],
    },
  },
  {
    param: 'messages.1.tool_calls',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      messages: [
        TOOL_TURN[0],
        { role: 'assistant', content: 'x', tool_calls: {} },
      ],
    },
  },
  // Before: an assistant's legacy function_call went on unchecked (an object as its name
  // reached an Anthropic upstream as a tool_use block's name).
  {
    param: 'messages.1.function_call',
    valid: { messages: LEGACY_FUNCTION_TURN },
    invalid: {
      messages: [
        LEGACY_FUNCTION_TURN[0],
        { role: 'assistant', content: null, function_call: [1, 2] },
      ],
    },
  },
  {
    param: 'messages.1.function_call.name',
    valid: { messages: LEGACY_FUNCTION_TURN },
    invalid: {
      messages: [
        LEGACY_FUNCTION_TURN[0],
        {
          role: 'assistant',
          content: null,
          function_call: { name: { x: 1 }, arguments: '{}' },
        },
      ],
    },
  },
  {
    param: 'messages.1.tool_calls.0.function.arguments',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      messages: [
        TOOL_TURN[0],
        {
          role: 'assistant',
          tool_calls: [
            {
              id: 'c',
              type: 'function',
              function: { name: 'f', arguments: { city: 'Oslo' } },
            },
          ],
        },
      ],
    },
  },
  {
    param: 'messages.1.tool_calls.0.type',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      tools: [TOOL],
      messages: [
        TOOL_TURN[0],
        {
          ...TOOL_TURN[1],
          tool_calls: [{ ...TOOL_TURN[1].tool_calls![0], type: 5 }],
        },
        TOOL_TURN[2],
      ],
    },
  },
  {
    param: 'messages.1.tool_calls.0.id',
    valid: { tools: [TOOL], messages: TOOL_TURN },
    invalid: {
      messages: [
        TOOL_TURN[0],
        {
          role: 'assistant',
          tool_calls: [
            { type: 'function', function: { name: 'f', arguments: '{}' } },
          ],
        },
      ],
    },
  },
  { param: 'model', valid: {}, invalid: { model: 5 } },
  { param: 'model', valid: {}, invalid: { model: 'm'.repeat(201) } },
];

const EMBEDDINGS_CASES: ParamCase[] = [
  { param: 'input', valid: { input: 'hello' }, invalid: { input: '' } },
  { param: 'input', valid: { input: ['a', 'b'] }, invalid: { input: [] } },
  { param: 'input', valid: { input: 'x' }, invalid: { input: 42 } },
  { param: 'input', valid: { input: 'x' }, invalid: { input: [{}] } },
  {
    param: 'input',
    valid: { input: 'x' },
    invalid: { input: Array(2049).fill('a') },
  },
  {
    param: 'input.1',
    valid: { input: ['a', 'b'] },
    invalid: { input: ['a', 5] },
  },
  {
    param: 'input.1',
    valid: { input: ['a', 'b'] },
    invalid: { input: ['a', ''] },
  },
  {
    param: 'input.1',
    valid: { input: [1, 2, 3] },
    invalid: { input: [1, -2, 3] },
  },
  {
    param: 'input.2',
    valid: { input: [1, 2, 3] },
    invalid: { input: [1, 2, 3.5] },
  },
  {
    param: 'input.1',
    valid: { input: [[1, 2], [3]] },
    invalid: { input: [[1, 2], []] },
  },
  {
    param: 'input.1',
    valid: { input: [[1, 2], [3]] },
    invalid: { input: [[1, 2], 'a'] },
  },
  {
    param: 'input.0.1',
    valid: { input: [[1, 2]] },
    invalid: { input: [[1, [2]]] },
  },
  { param: 'dimensions', valid: { dimensions: 8 }, invalid: { dimensions: 0 } },
  {
    param: 'dimensions',
    valid: { dimensions: 4 },
    invalid: { dimensions: '8' },
  },
  {
    param: 'encoding_format',
    valid: { encoding_format: 'base64' },
    invalid: { encoding_format: 'hex' },
  },
  { param: 'user', valid: { user: 'u-1' }, invalid: { user: ['u'] } },
  { param: 'model', valid: {}, invalid: { model: '' } },
];

function errorOf(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text).error ?? {};
  } catch {
    return { body: text.slice(0, 80) };
  }
}

describe('every OpenAI request parameter is checked by type and range, naming the field', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  const post = (path: string, body: Fields) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.northwind}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });

  /** What went wrong with each case, so a failure lists every offending one. */
  async function check(
    path: string,
    base: Fields,
    cases: ParamCase[],
  ): Promise<string[]> {
    const wrong: string[] = [];
    for (const { param, valid, invalid, endsWith } of cases) {
      const good = await post(path, { ...base, ...valid });
      const goodText = await good.text();
      if (good.status !== 200) {
        wrong.push(
          `valid ${JSON.stringify(valid)}: ${good.status} ${goodText.slice(
            0,
            200,
          )}`,
        );
      }
      const bad = await post(path, { ...base, ...invalid });
      const error = errorOf(await bad.text());
      if (
        bad.status !== 400 ||
        error.type !== 'invalid_request_error' ||
        error.param !== param ||
        typeof error.message !== 'string' ||
        !error.message.includes(param) ||
        (endsWith !== undefined && !error.message.endsWith(endsWith))
      ) {
        wrong.push(
          `invalid ${JSON.stringify(invalid).slice(0, 120)}: ${
            bad.status
          } ${JSON.stringify(error)}, expected param ${param}`,
        );
      }
    }
    return wrong;
  }

  it('chat completions', async () => {
    const wrong = await check(
      '/v1/chat/completions',
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
        max_tokens: 8,
      },
      CHAT_CASES,
    );
    expect(wrong).toEqual([]);
  });

  it('embeddings', async () => {
    const wrong = await check(
      '/v1/embeddings',
      { model: 'text-embedding-3-small', input: 'hello' },
      EMBEDDINGS_CASES,
    );
    expect(wrong).toEqual([]);
  });
});
