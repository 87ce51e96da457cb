import {
  fail,
  isObject,
  Json,
  optionalBoolean,
  optionalPositiveInteger,
  optionalString,
  present,
  requireModel,
} from '../fieldChecks';
import { checkMetadata } from '../../router/chatParams';
import {
  inputField,
  inputToChatMessages,
  MessageSource,
} from './responsesInput';
import { checkResponsesOptions } from './responsesOptions';
import { strictParameters } from './strictParameters';

/** Request fields a Responses answer repeats back to its caller. */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  tools: unknown[];
  tool_choice: unknown;
  parallel_tool_calls: boolean;
  metadata: Json;
  reasoning: { effort: unknown; summary: unknown };
  text: Json;
  user: string | null;
}

/**
 * Fields that need responses kept by the server. The gateway keeps none (a caller sends the
 * conversation in `input`), so each is refused by name rather than silently ignored.
 */
function refuseServerState(body: Json): void {
  if (present(body.previous_response_id)) {
    fail(
      'previous_response_id',
      'is not supported: this gateway stores no responses; send the earlier items in input',
    );
  }
  optionalBoolean(body.store, 'store');
  if (body.store === true) {
    fail('store', 'must be false or absent: this gateway stores no responses');
  }
  if (present(body.conversation)) {
    fail(
      'conversation',
      'is not supported: this gateway stores no conversations',
    );
  }
  optionalBoolean(body.background, 'background');
  if (body.background === true) {
    fail(
      'background',
      'must be false or absent: background responses need server storage',
    );
  }
  if (present(body.prompt)) {
    fail('prompt', 'is not supported: this gateway stores no prompt templates');
  }
}

/**
 * Function tools as chat's, and as the answer repeats them. A tool that leaves `strict` out is
 * strict in the Responses API (non-strict in chat): its schema goes normalized to strict mode
 * where it can be, and the bytes that adds to the prompt are counted.
 */
function toolsToChat(
  tools: unknown,
): { chat: Json[]; echo: Json[]; addedBytes: number } | undefined {
  if (!present(tools)) return undefined;
  if (!Array.isArray(tools) || tools.length > 128) {
    fail('tools', 'must be an array of at most 128 tools');
  }
  const echo: Json[] = [];
  let addedBytes = 0;
  const chat = tools.map((tool, i) => {
    if (!isObject(tool)) fail(`tools.${i}`, 'must be an object');
    if (tool.type !== 'function') {
      fail(
        `tools.${i}.type`,
        'must be function: this gateway serves function tools only',
      );
    }
    // Field by field: the chat checks then name what is wrong (as tools.i.<field>).
    const fn: Json = { name: tool.name };
    if (present(tool.description)) fn.description = tool.description;
    const parameters = present(tool.parameters) ? tool.parameters : undefined;
    if (parameters !== undefined) fn.parameters = parameters;
    if (present(tool.strict)) {
      fn.strict = tool.strict;
    } else {
      const strict = strictParameters(parameters);
      if (strict) {
        fn.parameters = strict.schema;
        fn.strict = true;
        addedBytes += strict.addedBytes + ',"strict":true'.length;
      }
    }
    echo.push({
      ...tool,
      parameters: fn.parameters ?? null,
      strict: fn.strict ?? false,
    });
    return { type: 'function', function: fn };
  });
  return { chat, echo, addedBytes };
}

function toolChoiceToChat(choice: unknown, tools: unknown): unknown {
  if (!present(choice) || typeof choice === 'string') return choice;
  if (isObject(choice) && choice.type === 'allowed_tools') {
    return allowedToolsToChat(choice, Array.isArray(tools) ? tools : []);
  }
  if (!isObject(choice) || choice.type !== 'function') {
    fail(
      'tool_choice.type',
      'must be function or allowed_tools (or tool_choice none, auto or required)',
    );
  }
  return { type: 'function', function: { name: choice.name } };
}

/**
 * The Responses API's `{type: "allowed_tools", mode, tools: [{type, name}]}` as chat's, checked
 * here so that a refusal names the caller's own fields.
 */
function allowedToolsToChat(choice: Json, tools: unknown[]): Json {
  if (choice.mode !== 'auto' && choice.mode !== 'required') {
    fail('tool_choice.mode', 'must be auto or required');
  }
  const list = choice.tools;
  if (!Array.isArray(list) || list.length === 0 || list.length > 128) {
    fail('tool_choice.tools', 'must be an array of 1 to 128 tools');
  }
  const allowed = list.map((entry, i) => {
    if (!isObject(entry) || entry.type !== 'function') {
      fail(`tool_choice.tools.${i}.type`, 'must be function');
    }
    if (!tools.some(tool => isObject(tool) && tool.name === entry.name)) {
      fail(
        `tool_choice.tools.${i}.name`,
        `names no function in tools: ${String(entry.name).slice(0, 64)}`,
      );
    }
    return { type: 'function', function: { name: entry.name } };
  });
  return {
    type: 'allowed_tools',
    allowed_tools: { mode: choice.mode, tools: allowed },
  };
}

function formatToChat(text: unknown): Json | undefined {
  if (!present(text)) return undefined;
  if (!isObject(text)) fail('text', 'must be an object');
  const format = text.format;
  if (!present(format)) return undefined;
  if (!isObject(format)) fail('text.format', 'must be an object');
  if (format.type !== 'json_schema') return { type: format.type };
  // Chat's json_schema may leave the schema out; the Responses API's may not.
  if (!isObject(format.schema)) {
    fail(
      'text.format.schema',
      'must be an object: the JSON Schema the output follows',
    );
  }
  const schema: Json = { name: format.name, schema: format.schema };
  if (present(format.description)) schema.description = format.description;
  if (present(format.strict)) schema.strict = format.strict;
  return { type: 'json_schema', json_schema: schema };
}

/**
 * A Responses API request as an OpenAI chat body (what every provider adapter takes), and the
 * fields its answer repeats. The translated body then passes the chat endpoint's own checks,
 * whose complaints `responsesField` renames.
 */
export function readResponsesRequest(body: Json): {
  chat: Json;
  echo: ResponseEcho;
  /** JSON the translation added to what the upstream reads as prompt (strict schemas). */
  addedPromptBytes: number;
  /** Where each chat message came from, for `responsesField`. */
  sources: MessageSource[];
} {
  const model = requireModel(body);
  refuseServerState(body);
  optionalString(body.instructions, 'instructions');
  optionalBoolean(body.stream, 'stream');
  optionalString(body.user, 'user');
  checkMetadata(body.metadata);
  if (present(body.reasoning) && !isObject(body.reasoning)) {
    fail('reasoning', 'must be an object');
  }
  checkResponsesOptions(body);
  const maxOutputTokens = optionalPositiveInteger(
    body.max_output_tokens,
    'max_output_tokens',
  );
  const { messages, sources } = inputToChatMessages(
    body.input,
    body.instructions ?? undefined,
  );
  const chat: Json = { model, messages };
  if (body.stream === true) {
    chat.stream = true;
    // The final events carry usage, so the upstream is always asked for it.
    chat.stream_options = { include_usage: true };
  }
  if (maxOutputTokens !== undefined)
    chat.max_completion_tokens = maxOutputTokens;
  for (const field of [
    'metadata',
    'temperature',
    'top_p',
    'parallel_tool_calls',
    'user',
    'safety_identifier',
    'service_tier',
    'prompt_cache_key',
    'prompt_cache_retention',
  ]) {
    if (present(body[field])) chat[field] = body[field];
  }
  if (present(body.reasoning?.effort))
    chat.reasoning_effort = body.reasoning.effort;
  const tools = toolsToChat(body.tools);
  if (tools) chat.tools = tools.chat;
  const choice = toolChoiceToChat(body.tool_choice, body.tools);
  if (present(choice)) chat.tool_choice = choice;
  const format = formatToChat(body.text);
  if (format) chat.response_format = format;
  if (present(body.text?.verbosity)) chat.verbosity = body.text.verbosity;
  return {
    chat,
    echo: {
      instructions: body.instructions ?? null,
      max_output_tokens: maxOutputTokens ?? null,
      temperature: body.temperature ?? 1,
      top_p: body.top_p ?? 1,
      tools: tools?.echo ?? [],
      tool_choice: body.tool_choice ?? 'auto',
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      metadata: body.metadata ?? {},
      reasoning: {
        effort: body.reasoning?.effort ?? null,
        summary: body.reasoning?.summary ?? null,
      },
      // A request that sets only `text.verbosity` is still answered in text format.
      text: { ...body.text, format: body.text?.format ?? { type: 'text' } },
      user: body.user ?? null,
    },
    addedPromptBytes: tools?.addedBytes ?? 0,
    sources,
  };
}

/**
 * A chat check's field (`tools.0.function.name`, `messages.2.content.0.image_url.detail`) as
 * the Responses field it came from (`tools.0.name`, `input.1.content.0.detail`).
 */
export function responsesField(
  chatParam: string,
  sources: readonly MessageSource[] = [],
): string {
  const input = inputField(chatParam, sources);
  if (input !== undefined) return input;
  if (chatParam === 'messages') return 'input';
  const tool = /^tools\.(\d+)\.function(\..+)?$/.exec(chatParam);
  if (tool) return `tools.${tool[1]}${tool[2] ?? ''}`;
  if (chatParam === 'tool_choice.function.name') return 'tool_choice.name';
  if (chatParam.startsWith('response_format.json_schema')) {
    return `text.format${chatParam.slice(
      'response_format.json_schema'.length,
    )}`;
  }
  if (chatParam.startsWith('response_format')) {
    return `text.format${chatParam.slice('response_format'.length)}`;
  }
  if (chatParam === 'max_completion_tokens') return 'max_output_tokens';
  if (chatParam === 'reasoning_effort') return 'reasoning.effort';
  if (chatParam === 'verbosity') return 'text.verbosity';
  return chatParam;
}
