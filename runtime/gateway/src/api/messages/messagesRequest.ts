import {
  fail,
  isObject,
  Json,
  onlyFields,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalOneOf,
  optionalPositiveInteger,
  optionalString,
  present,
  requireModel,
} from '../fieldChecks';
import { CacheBreakpoints } from './cacheControl';
import { messagesToChat } from './messagesContent';

/**
 * Every Messages API request field the gateway knows. Any other is refused by name, as
 * Anthropic refuses it, rather than dropped: a caller must not believe a setting took effect.
 */
const FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
  'cache_control',
]);

/** Fields that run tools or keep state on Anthropic's side: named, so the refusal says why. */
const SERVER_SIDE = new Set(['mcp_servers', 'container']);

function checkFields(body: Json): void {
  for (const field of Object.keys(body)) {
    if (SERVER_SIDE.has(field)) {
      fail(field, 'is not supported: this gateway serves client tools only');
    }
    if (!FIELDS.has(field)) fail(field, 'is not a Messages API parameter');
  }
}

/** Checked as Anthropic checks it, though no chat upstream takes it: see readMessagesRequest. */
function checkThinking(thinking: unknown, maxTokens: number): void {
  if (!present(thinking)) return;
  if (!isObject(thinking)) fail('thinking', 'must be an object');
  if (!['enabled', 'disabled', 'adaptive'].includes(thinking.type)) {
    fail('thinking.type', 'must be enabled, disabled or adaptive');
  }
  const budget = thinking.budget_tokens;
  if (thinking.type === 'disabled' && present(budget)) {
    // Anthropic refuses it; dropped, the caller would believe a budget applied.
    fail('thinking.budget_tokens', 'is not taken when thinking is disabled');
  }
  if (
    thinking.type === 'enabled' &&
    !(Number.isInteger(budget) && budget >= 1024 && budget < maxTokens)
  ) {
    fail(
      'thinking.budget_tokens',
      'must be an integer of at least 1024 and below max_tokens when thinking is enabled',
    );
  }
}

function toolsToChat(
  tools: unknown,
  breakpoints: CacheBreakpoints,
): Json[] | undefined {
  if (!present(tools)) return undefined;
  if (!Array.isArray(tools) || tools.length > 128) {
    fail('tools', 'must be an array of at most 128 tools');
  }
  const names = new Map<unknown, number>();
  return tools.map((tool, i) => {
    if (!isObject(tool)) fail(`tools.${i}`, 'must be an object');
    // Anthropic refuses two tools of one name: a call could not say which it meant.
    const same = names.get(tool.name);
    if (same !== undefined) {
      fail(`tools.${i}.name`, `must differ from tools.${same}.name`);
    }
    names.set(tool.name, i);
    if (present(tool.type) && tool.type !== 'custom') {
      fail(
        `tools.${i}.type`,
        'must be custom or absent: this gateway serves client tools only',
      );
    }
    breakpoints.check(tool.cache_control, `tools.${i}.cache_control`);
    if (!isObject(tool.input_schema)) {
      fail(`tools.${i}.input_schema`, 'must be an object (a JSON schema)');
    }
    const fn: Json = { name: tool.name, parameters: tool.input_schema };
    if (present(tool.description)) fn.description = tool.description;
    return { type: 'function', function: fn };
  });
}

/** Anthropic's tool_choice as chat's, and whether parallel tool calls are off. */
function toolChoiceToChat(choice: unknown, chat: Json): void {
  if (!present(choice)) return;
  if (!isObject(choice)) fail('tool_choice', 'must be an object');
  optionalBoolean(
    choice.disable_parallel_tool_use,
    'tool_choice.disable_parallel_tool_use',
  );
  if (choice.disable_parallel_tool_use === true)
    chat.parallel_tool_calls = false;
  switch (choice.type) {
    case 'auto':
      chat.tool_choice = 'auto';
      break;
    case 'any':
      chat.tool_choice = 'required';
      break;
    case 'none':
      chat.tool_choice = 'none';
      break;
    case 'tool':
      chat.tool_choice = { type: 'function', function: { name: choice.name } };
      break;
    default:
      fail('tool_choice.type', 'must be auto, any, tool or none');
  }
}

function stopToChat(stop: unknown): string[] | undefined {
  if (!present(stop)) return undefined;
  // Chat upstreams take at most 4 stop sequences.
  if (!Array.isArray(stop) || stop.length > 4) {
    fail('stop_sequences', 'must be an array of at most 4 strings');
  }
  stop.forEach((item, i) => {
    if (typeof item !== 'string')
      fail(`stop_sequences.${i}`, 'must be a string');
    // Anthropic refuses it; a chat upstream would stop at once, or never.
    if (item === '') fail(`stop_sequences.${i}`, 'must not be empty');
  });
  return stop;
}

/**
 * An Anthropic Messages request as an OpenAI chat body (what every provider adapter takes).
 * `top_k`, extended `thinking` and `service_tier` have no chat equivalent and are not sent
 * (the upstream serves at its default tier, charged at the profile's prices); the translated
 * body then passes the chat endpoint's own checks, whose complaints `messagesField` renames.
 */
export function readMessagesRequest(body: Json): Json {
  checkFields(body);
  const model = requireModel(body);
  if (!present(body.max_tokens)) {
    fail('max_tokens', 'is required: a positive integer');
  }
  const maxTokens = optionalPositiveInteger(body.max_tokens, 'max_tokens')!;
  checkThinking(body.thinking, maxTokens);
  optionalOneOf(body.service_tier, 'service_tier', ['auto', 'standard_only']);
  optionalBoolean(body.stream, 'stream');
  optionalNumber(body.temperature, 'temperature', 0, 1);
  optionalNumber(body.top_p, 'top_p', 0, 1);
  // Anthropic's range is x >= 0.
  optionalInteger(body.top_k, 'top_k', 0, Number.MAX_SAFE_INTEGER);
  if (present(body.metadata)) {
    if (!isObject(body.metadata)) fail('metadata', 'must be an object');
    // Anthropic's metadata holds user_id alone, and refuses anything else.
    onlyFields(body.metadata, 'metadata', ['user_id']);
  }
  optionalString(body.metadata?.user_id, 'metadata.user_id');
  // Counted in the order Anthropic reads a request: tools, system, then messages.
  const breakpoints = new CacheBreakpoints();
  breakpoints.check(body.cache_control, 'cache_control');
  const tools = toolsToChat(body.tools, breakpoints);
  const chat: Json = {
    model,
    messages: messagesToChat(body.messages, body.system, breakpoints),
    max_completion_tokens: maxTokens,
  };
  if (body.stream === true) {
    chat.stream = true;
    // message_delta carries usage, so the upstream is always asked for it.
    chat.stream_options = { include_usage: true };
  }
  if (present(body.temperature)) chat.temperature = body.temperature;
  if (present(body.top_p)) chat.top_p = body.top_p;
  const stop = stopToChat(body.stop_sequences);
  if (stop) chat.stop = stop;
  if (present(body.metadata?.user_id)) chat.user = body.metadata.user_id;
  if (tools) chat.tools = tools;
  toolChoiceToChat(body.tool_choice, chat);
  return chat;
}

/** A chat check's field (`tools.0.function.parameters`) as the Messages field it came from. */
export function messagesField(chatParam: string): string {
  const tool = /^tools\.(\d+)\.function\.(\w+)$/.exec(chatParam);
  if (tool) {
    return `tools.${tool[1]}.${
      tool[2] === 'parameters' ? 'input_schema' : tool[2]
    }`;
  }
  if (chatParam === 'tool_choice.function.name') return 'tool_choice.name';
  if (chatParam === 'tool_choice') return 'tool_choice.type';
  if (chatParam === 'max_completion_tokens') return 'max_tokens';
  if (chatParam === 'stop' || chatParam.startsWith('stop.')) {
    return `stop_sequences${chatParam.slice(4)}`;
  }
  if (chatParam === 'user') return 'metadata.user_id';
  return chatParam;
}
