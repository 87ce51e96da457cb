import {
  fail,
  isObject,
  Json,
  optionalBoolean,
  optionalInteger,
  optionalOneOf,
  present,
} from '../fieldChecks';

/**
 * Every Responses API request field the gateway knows. Any other is refused by name, as
 * OpenAI refuses it, rather than dropped: a caller must not believe a setting took effect.
 */
const FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'stream',
  'stream_options',
  'max_output_tokens',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'metadata',
  'user',
  'safety_identifier',
  'service_tier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'include',
  'max_tool_calls',
  'top_logprobs',
  'truncation',
  'store',
  'previous_response_id',
  'conversation',
  'background',
  'prompt',
]);

/**
 * `include` values that add items of built-in tools or reasoning to an answer. The gateway
 * serves function tools only and returns no reasoning items, so asking for them changes
 * nothing.
 */
const INCLUDABLE = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'code_interpreter_call.outputs',
  'computer_call_output.output.image_url',
  'message.input_image.image_url',
  'reasoning.encrypted_content',
];

const NO_LOGPROBS =
  'is not supported: this gateway returns no log probabilities on the Responses API';

function checkInclude(include: unknown): void {
  if (!present(include)) return;
  if (!Array.isArray(include)) fail('include', 'must be an array of strings');
  include.forEach((value, i) => {
    if (value === 'message.output_text.logprobs') {
      fail(`include.${i}`, `message.output_text.logprobs ${NO_LOGPROBS}`);
    }
    if (typeof value !== 'string' || !INCLUDABLE.includes(value)) {
      fail(`include.${i}`, `must be one of ${INCLUDABLE.join(', ')}`);
    }
  });
}

/**
 * Checks the Responses fields that have no chat counterpart to be checked by, and refuses
 * the settings the gateway cannot honour. Fields that translate to chat are checked there.
 */
export function checkResponsesOptions(body: Json): void {
  for (const field of Object.keys(body)) {
    if (!FIELDS.has(field)) {
      fail(field, 'is not a Responses API parameter');
    }
  }
  checkInclude(body.include);
  optionalInteger(body.top_logprobs, 'top_logprobs', 0, 20);
  if (present(body.top_logprobs) && body.top_logprobs !== 0) {
    fail('top_logprobs', NO_LOGPROBS);
  }
  // It counts calls to built-in tools, of which this gateway serves none.
  optionalInteger(
    body.max_tool_calls,
    'max_tool_calls',
    1,
    Number.MAX_SAFE_INTEGER,
  );
  optionalOneOf(body.truncation, 'truncation', ['auto', 'disabled']);
  if (body.truncation === 'auto') {
    fail(
      'truncation',
      'must be disabled or absent: this gateway does not drop input items to fit the context',
    );
  }
  if (present(body.stream_options)) {
    if (!isObject(body.stream_options)) {
      fail('stream_options', 'must be an object');
    }
    if (body.stream !== true) {
      fail('stream_options', 'is only allowed when stream is true');
    }
    optionalBoolean(
      body.stream_options.include_obfuscation,
      'stream_options.include_obfuscation',
    );
  }
  optionalOneOf(body.prompt_cache_retention, 'prompt_cache_retention', [
    'in-memory',
    '24h',
  ]);
  optionalOneOf(body.reasoning?.summary, 'reasoning.summary', [
    'auto',
    'concise',
    'detailed',
  ]);
}
