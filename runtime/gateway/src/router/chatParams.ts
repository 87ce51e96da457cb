import { GatewayError } from '../http/GatewayError';

/**
 * OpenAI's checks of a chat request's optional parameters, by type and range, each failure a
 * 400 naming the field as OpenAI does. `null` counts as absent, as it does for OpenAI.
 * Parameters OpenAI does not know are passed through: vLLM and others take extra ones.
 * Checks go one level into objects and arrays at most (plus fixed paths such as
 * `tools.0.function.name`), never into free-form values such as a tool's JSON schema.
 */

type Json = Record<string, unknown>;

function fail(param: string, what: string): never {
  throw GatewayError.invalid(`${param} ${what}`, param);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function checkNumber(body: Json, field: string, min: number, max: number) {
  const value = body[field];
  if (
    present(value) &&
    (typeof value !== 'number' || !(value >= min && value <= max))
  ) {
    fail(field, `must be a number from ${min} to ${max}`);
  }
}

function checkInteger(body: Json, field: string, min: number, max: number) {
  const value = body[field];
  if (
    present(value) &&
    (!Number.isInteger(value) ||
      (value as number) < min ||
      (value as number) > max)
  ) {
    fail(field, `must be an integer from ${min} to ${max}`);
  }
}

function checkType(body: Json, field: string, type: 'string' | 'boolean') {
  const value = body[field];
  if (present(value) && typeof value !== type) {
    fail(field, `must be a ${type}`);
  }
}

function checkObject(body: Json, field: string) {
  const value = body[field];
  if (present(value) && !isObject(value)) {
    fail(field, 'must be an object');
  }
}

/** Predicted output: `{type: "content", content}`, the text a string or text parts. */
function checkPrediction(prediction: unknown) {
  if (!present(prediction)) return;
  if (!isObject(prediction)) fail('prediction', 'must be an object');
  if (prediction.type !== 'content')
    fail('prediction.type', 'must be "content"');
  const content = prediction.content;
  const textParts =
    Array.isArray(content) &&
    content.every(
      part =>
        isObject(part) && part.type === 'text' && typeof part.text === 'string',
    );
  if (typeof content !== 'string' && !textParts) {
    fail('prediction.content', 'must be a string or an array of text parts');
  }
}

function checkOneOf(body: Json, field: string, values: readonly string[]) {
  const value = body[field];
  if (present(value) && !values.includes(value as string)) {
    fail(field, `must be one of ${values.join(', ')}`);
  }
}

/**
 * Options an upstream bills beyond the profile's token prices: a budget reserves and settles
 * at those prices only, so a request that could cost more is refused rather than let through
 * unbudgeted (the guarantee is that no request costs more than its reservation).
 */
function refuseUnpricedOptions(body: Json) {
  if (body.service_tier === 'priority') {
    fail(
      'service_tier',
      'priority is not allowed: it is billed above the model profile prices that budgets are reserved at',
    );
  }
  if (Array.isArray(body.modalities) && body.modalities.includes('audio')) {
    fail(
      'modalities',
      'must not include audio: audio output is billed at prices the model profiles do not have',
    );
  }
  if (present(body.audio)) {
    fail(
      'audio',
      'is not allowed: audio output is billed at prices the model profiles do not have',
    );
  }
  if (present(body.web_search_options)) {
    fail(
      'web_search_options',
      'is not allowed: web search is billed per call, outside the token prices budgets are reserved at',
    );
  }
}

/** OpenAI's rule for function names. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function checkFunctionName(name: unknown, param: string) {
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    fail(param, 'must be 1 to 64 letters, digits, underscores or dashes');
  }
}

function checkStop(stop: unknown) {
  if (!present(stop) || typeof stop === 'string') return;
  if (!Array.isArray(stop) || stop.length > 4) {
    fail('stop', 'must be a string or an array of up to 4 strings');
  }
  for (let i = 0; i < stop.length; i++) {
    if (typeof stop[i] !== 'string') fail(`stop.${i}`, 'must be a string');
  }
}

function checkLogitBias(bias: unknown) {
  if (!present(bias)) return;
  if (!isObject(bias)) fail('logit_bias', 'must be an object');
  for (const token of Object.keys(bias)) {
    if (!/^\d{1,10}$/.test(token)) {
      fail('logit_bias', `keys must be token ids, got "${token.slice(0, 20)}"`);
    }
    const value = bias[token];
    if (typeof value !== 'number' || !(value >= -100 && value <= 100)) {
      fail(`logit_bias.${token}`, 'must be a number from -100 to 100');
    }
  }
}

/** OpenAI's `metadata`: at most 16 string pairs, keys ≤ 64 and values ≤ 512 characters. */
export function checkMetadata(metadata: unknown) {
  if (!present(metadata)) return;
  if (!isObject(metadata)) fail('metadata', 'must be an object');
  let count = 0;
  for (const key of Object.keys(metadata)) {
    count += 1;
    if (count > 16) fail('metadata', 'may hold at most 16 pairs');
    if (key.length > 64)
      fail('metadata', 'keys may have at most 64 characters');
    const value = metadata[key];
    if (typeof value !== 'string' || value.length > 512) {
      fail(`metadata.${key}`, 'must be a string of at most 512 characters');
    }
  }
}

function checkStreamOptions(body: Json) {
  const options = body.stream_options;
  if (!present(options)) return;
  if (!isObject(options)) fail('stream_options', 'must be an object');
  if (body.stream !== true) {
    fail('stream_options', 'is only allowed when stream is true');
  }
  if (
    present(options.include_usage) &&
    typeof options.include_usage !== 'boolean'
  ) {
    fail('stream_options.include_usage', 'must be a boolean');
  }
}

function checkResponseFormat(format: unknown) {
  if (!present(format)) return;
  if (!isObject(format)) fail('response_format', 'must be an object');
  switch (format.type) {
    case 'text':
    case 'json_object':
      return;
    case 'json_schema': {
      const schema = format.json_schema;
      if (!isObject(schema)) {
        fail('response_format.json_schema', 'must be an object');
      }
      checkFunctionName(schema.name, 'response_format.json_schema.name');
      if (present(schema.schema) && !isObject(schema.schema)) {
        fail('response_format.json_schema.schema', 'must be an object');
      }
      if (present(schema.strict) && typeof schema.strict !== 'boolean') {
        fail('response_format.json_schema.strict', 'must be a boolean');
      }
      return;
    }
    default:
      fail('response_format.type', 'must be text, json_object or json_schema');
  }
}

/** A function definition, as in `tools[i].function` and the older `functions[i]`. */
function checkFunction(fn: unknown, param: string) {
  if (!isObject(fn)) fail(param, 'must be an object');
  checkFunctionName(fn.name, `${param}.name`);
  if (present(fn.description) && typeof fn.description !== 'string') {
    fail(`${param}.description`, 'must be a string');
  }
  if (present(fn.parameters) && !isObject(fn.parameters)) {
    fail(`${param}.parameters`, 'must be an object (a JSON schema)');
  }
  if (present(fn.strict) && typeof fn.strict !== 'boolean') {
    fail(`${param}.strict`, 'must be a boolean');
  }
}

const GRAMMAR_SYNTAXES = new Set(['lark', 'regex']);

/** A custom (free-form input) tool: its name, description and input format. */
function checkCustomTool(custom: unknown, param: string) {
  if (!isObject(custom)) fail(param, 'must be an object');
  checkFunctionName(custom.name, `${param}.name`);
  if (present(custom.description) && typeof custom.description !== 'string') {
    fail(`${param}.description`, 'must be a string');
  }
  const format = custom.format;
  if (!present(format)) return;
  if (!isObject(format)) fail(`${param}.format`, 'must be an object');
  if (format.type === 'text') return;
  if (format.type !== 'grammar') {
    fail(`${param}.format.type`, 'must be text or grammar');
  }
  const grammar = format.grammar;
  if (!isObject(grammar)) fail(`${param}.format.grammar`, 'must be an object');
  if (typeof grammar.definition !== 'string' || grammar.definition === '') {
    fail(`${param}.format.grammar.definition`, 'must be a non-empty string');
  }
  if (!GRAMMAR_SYNTAXES.has(grammar.syntax as string)) {
    fail(`${param}.format.grammar.syntax`, 'must be lark or regex');
  }
}

function checkTools(tools: unknown) {
  if (!present(tools)) return;
  if (!Array.isArray(tools) || tools.length > 128) {
    fail('tools', 'must be an array of at most 128 tools');
  }
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i];
    if (!isObject(tool) || typeof tool.type !== 'string') {
      fail(`tools.${i}.type`, 'must be a string');
    }
    if (tool.type === 'function') {
      checkFunction(tool.function, `tools.${i}.function`);
    } else if (tool.type === 'custom') {
      checkCustomTool(tool.custom, `tools.${i}.custom`);
    } else {
      fail(`tools.${i}.type`, 'must be function or custom');
    }
  }
}

/**
 * `tool_choice: {type: "allowed_tools"}`: the model may call only these of `tools` (each named
 * by its type and name), `required` to call one of them.
 */
function checkAllowedTools(allowed: unknown, tools: unknown[]) {
  const at = 'tool_choice.allowed_tools';
  if (!isObject(allowed)) fail(at, 'must be an object');
  if (allowed.mode !== 'auto' && allowed.mode !== 'required') {
    fail(`${at}.mode`, 'must be auto or required');
  }
  const list = allowed.tools;
  if (!Array.isArray(list) || list.length === 0 || list.length > 128) {
    fail(`${at}.tools`, 'must be an array of 1 to 128 tools');
  }
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    const param = `${at}.tools.${i}`;
    if (
      !isObject(entry) ||
      (entry.type !== 'function' && entry.type !== 'custom')
    ) {
      fail(`${param}.type`, 'must be function or custom');
    }
    const kind = entry.type as 'function' | 'custom';
    const name = (entry[kind] as Json | undefined)?.name;
    const offered = tools.some(
      tool =>
        isObject(tool) &&
        tool.type === kind &&
        (tool[kind] as Json | undefined)?.name === name,
    );
    if (!offered) {
      fail(
        `${param}.${kind}.name`,
        `names no ${kind} tool in tools: ${String(name).slice(0, 64)}`,
      );
    }
  }
}

function checkToolChoice(body: Json) {
  const choice = body.tool_choice;
  if (!present(choice)) return;
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (typeof choice === 'string') {
    if (choice !== 'none' && choice !== 'auto' && choice !== 'required') {
      fail('tool_choice', 'must be none, auto, required or an object');
    }
    // A call is required, and there is nothing to call.
    if (choice === 'required' && tools.length === 0) {
      fail('tool_choice', 'is only allowed when tools are given');
    }
    return;
  }
  if (!isObject(choice) || typeof choice.type !== 'string') {
    fail(
      'tool_choice',
      'must be none, auto, required or an object with a type',
    );
  }
  if (choice.type === 'allowed_tools') {
    checkAllowedTools(choice.allowed_tools, tools);
    return;
  }
  if (choice.type !== 'function' && choice.type !== 'custom') {
    fail('tool_choice.type', 'must be function, custom or allowed_tools');
  }
  if (choice.type === 'function') {
    const chosen = choice.function;
    if (!isObject(chosen)) fail('tool_choice.function', 'must be an object');
    checkFunctionName(chosen.name, 'tool_choice.function.name');
    checkForcedCall(
      tools.map(tool => tool?.function?.name),
      chosen.name,
      'tool_choice',
      'tools',
    );
  }
  if (choice.type === 'custom') {
    const chosen = choice.custom;
    if (!isObject(chosen)) fail('tool_choice.custom', 'must be an object');
    checkFunctionName(chosen.name, 'tool_choice.custom.name');
    if (tools.length === 0) {
      fail('tool_choice', 'is only allowed when tools are given');
    }
    const custom = tools.filter(tool => tool?.type === 'custom');
    if (!custom.some(tool => tool.custom?.name === chosen.name)) {
      fail(
        'tool_choice.custom.name',
        `names no custom tool in tools: ${String(chosen.name).slice(0, 64)}`,
      );
    }
  }
}

function checkFunctions(body: Json) {
  const functions = body.functions;
  if (present(functions)) {
    if (!Array.isArray(functions) || functions.length > 128) {
      fail('functions', 'must be an array of at most 128 functions');
    }
    for (let i = 0; i < functions.length; i++) {
      checkFunction(functions[i], `functions.${i}`);
    }
  }
  const call = body.function_call;
  if (!present(call) || call === 'none' || call === 'auto') return;
  if (!isObject(call)) fail('function_call', 'must be none, auto or an object');
  checkFunctionName(call.name, 'function_call.name');
  checkForcedCall(
    Array.isArray(functions) ? functions.map(fn => fn?.name) : [],
    call.name,
    'function_call',
    'functions',
  );
}

/** A call is forced by name, and there is nothing (or not that) to call among `offered`. */
function checkForcedCall(
  offered: unknown[],
  name: unknown,
  param: 'tool_choice' | 'function_call',
  list: 'tools' | 'functions',
) {
  if (offered.length === 0) {
    fail(param, `is only allowed when ${list} are given`);
  }
  if (!offered.includes(name)) {
    fail(
      param === 'tool_choice'
        ? 'tool_choice.function.name'
        : 'function_call.name',
      `names no function in ${list}: ${String(name).slice(0, 64)}`,
    );
  }
}

/**
 * Checks every OpenAI chat parameter besides `model`, `messages`, `stream` and the token
 * limits (read by the summary). Cheap on the common path: a request that sets none of them
 * costs one property lookup each.
 */
export function validateChatParams(body: Json): void {
  refuseUnpricedOptions(body);
  checkNumber(body, 'temperature', 0, 2);
  checkNumber(body, 'top_p', 0, 1);
  checkNumber(body, 'presence_penalty', -2, 2);
  checkNumber(body, 'frequency_penalty', -2, 2);
  checkInteger(body, 'n', 1, 128);
  // Past 2^53 a JSON number is no longer the integer the caller wrote: what goes upstream differs.
  checkInteger(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  checkInteger(body, 'top_logprobs', 0, 20);
  checkType(body, 'logprobs', 'boolean');
  if (present(body.top_logprobs) && body.logprobs !== true) {
    fail('top_logprobs', 'requires logprobs to be true');
  }
  checkType(body, 'parallel_tool_calls', 'boolean');
  checkType(body, 'store', 'boolean');
  checkType(body, 'user', 'string');
  checkOneOf(body, 'reasoning_effort', [
    'none',
    'minimal',
    'low',
    'medium',
    'high',
    'xhigh',
  ]);
  // `priority` is a tier OpenAI knows, refused with its reason above.
  checkOneOf(body, 'service_tier', ['auto', 'default', 'flex', 'scale']);
  checkOneOf(body, 'verbosity', ['low', 'medium', 'high']);
  checkType(body, 'prompt_cache_key', 'string');
  checkType(body, 'safety_identifier', 'string');
  checkPrediction(body.prediction);
  checkObject(body, 'audio');
  checkObject(body, 'web_search_options');
  if (present(body.modalities)) {
    const modalities = body.modalities;
    if (
      !Array.isArray(modalities) ||
      !modalities.every(item => item === 'text' || item === 'audio')
    ) {
      fail('modalities', 'must be an array of "text" and "audio"');
    }
  }
  checkStop(body.stop);
  checkLogitBias(body.logit_bias);
  checkMetadata(body.metadata);
  checkStreamOptions(body);
  checkResponseFormat(body.response_format);
  checkTools(body.tools);
  checkToolChoice(body);
  checkFunctions(body);
}
