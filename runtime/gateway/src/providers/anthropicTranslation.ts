/**
 * Translation between OpenAI's chat format (what the gateway's callers speak) and Anthropic's
 * Messages API, both ways: requests, JSON answers and streamed events.
 */
import { findTooDeepNesting } from '../http/jsonNesting';
import { openAiUsageOf } from './extractUsage';
import { narrowedToAllowedTools } from './allowedTools';

type Json = Record<string, any>;

export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic requires max_tokens; without the caller's, this bounded default applies. */
const DEFAULT_MAX_TOKENS = 4096;

/** A chat message's text as Anthropic text blocks, one per text part: boundaries kept. */
function textBlocks(content: unknown): Json[] {
  if (typeof content === 'string') {
    return content ? [{ type: 'text', text: content }] : [];
  }
  if (!Array.isArray(content)) return [];
  return content.flatMap(part =>
    part?.type === 'text' && part.text
      ? [{ type: 'text', text: String(part.text) }]
      : [],
  );
}

/** A tool message's content as a tool_result's: a string, or its text blocks. */
function toolResultContent(content: unknown): string | Json[] {
  return typeof content === 'string' ? content : textBlocks(content);
}

function imageBlock(url: string): Json {
  const data = /^data:([^;]+);base64,(.*)$/.exec(url);
  return data
    ? {
        type: 'image',
        source: {
          type: 'base64',
          // A JPEG as some clients name it; Anthropic reads image/jpeg only.
          media_type: data[1] === 'image/jpg' ? 'image/jpeg' : data[1],
          data: data[2],
        },
      }
    : { type: 'image', source: { type: 'url', url } };
}

function userBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.flatMap(part => {
    if (part?.type === 'text')
      return [{ type: 'text', text: String(part.text ?? '') }];
    if (part?.type === 'image_url' && part.image_url?.url)
      return [imageBlock(part.image_url.url)];
    return [];
  });
}

/**
 * OpenAI tool-call arguments (JSON text) as an Anthropic `tool_use` input. Text that is not
 * JSON, or nests deeper than a request body may, goes as text: a caller's string must not
 * become a value too deep for the JSON.stringify that sends it.
 */
export function parseArguments(raw: unknown): Json {
  if (typeof raw !== 'string' || raw === '') return {};
  if (findTooDeepNesting(Buffer.from(raw))) return { arguments: raw };
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    return { arguments: raw };
  }
  // Anthropic's tool input is an object: `42` or `[1]` from a model is kept as text too.
  return input !== null && typeof input === 'object' && !Array.isArray(input)
    ? input
    : { arguments: raw };
}

function toolChoice(choice: unknown, parallel: unknown): Json | undefined {
  if (choice === 'none') return { type: 'none' };
  const name = (choice as Json | undefined)?.function?.name;
  let type: Json | undefined;
  if (choice === 'auto') type = { type: 'auto' };
  else if (choice === 'required') type = { type: 'any' };
  else if (name) type = { type: 'tool', name };
  // Anthropic takes the flag only on a tool_choice: without the caller's, auto's carries it.
  if (parallel !== false) return type;
  return { ...(type ?? { type: 'auto' }), disable_parallel_tool_use: true };
}

/**
 * A request in OpenAI's older function-calling form (`functions`, no `tools`): its answer
 * must come back in that form too (`function_call`), one call at a time.
 */
export function usesLegacyFunctions(body: Json): boolean {
  return (
    Array.isArray(body.functions) &&
    body.functions.length > 0 &&
    !(Array.isArray(body.tools) && body.tools.length > 0)
  );
}

/** Anthropic's tool for an OpenAI function definition (a `tools` entry's or the older form's). */
function anthropicTool(definition: Json | undefined): Json {
  return {
    name: definition?.name,
    description: definition?.description,
    input_schema: definition?.parameters ?? { type: 'object', properties: {} },
  };
}

/** The older `function_call` choice as Anthropic's, one call at a time. */
function legacyToolChoice(choice: unknown): Json {
  if (choice === 'none') return { type: 'none' };
  const name = (choice as Json | undefined)?.name;
  return {
    ...(typeof name === 'string' ? { type: 'tool', name } : { type: 'auto' }),
    disable_parallel_tool_use: true,
  };
}

/** An OpenAI chat request as an Anthropic Messages request. */
export function toAnthropicRequest(
  chat: Json,
  model: string,
  maxOutputTokens: number,
): Json {
  // Anthropic has no allowed-tools choice: the request carries only the allowed tools.
  const body = narrowedToAllowedTools(chat);
  const system: Json[] = [];
  const messages: Json[] = [];
  /** The id given to the last older-form `function_call`, which its `function` result names. */
  let functionCallId: string | undefined;
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    // Anthropic wants user and assistant turns to alternate: merge neighbours.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of body.messages as Json[]) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content));
        break;
      case 'assistant': {
        const blocks = textBlocks(message.content);
        for (const call of message.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.function?.name,
            input: parseArguments(call.function?.arguments),
          });
        }
        if (message.function_call) {
          // The older form has no call ids; Anthropic's results name the call they answer.
          functionCallId = `call_function_${messages.length}`;
          blocks.push({
            type: 'tool_use',
            id: functionCallId,
            name: message.function_call.name,
            input: parseArguments(message.function_call.arguments),
          });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
      case 'function':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: message.tool_call_id ?? functionCallId,
            content: toolResultContent(message.content),
          },
        ]);
        break;
      default:
        push('user', userBlocks(message.content));
    }
  }
  const request: Json = {
    model,
    messages,
    max_tokens: Math.min(
      body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
      maxOutputTokens,
    ),
  };
  // One system text goes as a string, as most callers send it; more keep their blocks.
  if (system.length === 1) request.system = system[0].text;
  else if (system.length > 1) request.system = system;
  if (typeof body.temperature === 'number')
    request.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  if (body.stop)
    request.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    request.tools = body.tools.map((tool: Json) =>
      anthropicTool(tool.function),
    );
    const choice = toolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice) request.tool_choice = choice;
  } else if (usesLegacyFunctions(body)) {
    request.tools = body.functions.map(anthropicTool);
    request.tool_choice = legacyToolChoice(body.function_call);
  }
  // The caller's end user, for the provider's abuse checks: chat's `user`, Anthropic's field.
  if (typeof body.user === 'string' && body.user) {
    request.metadata = { user_id: body.user };
  }
  if (body.stream === true) request.stream = true;
  return request;
}

export function finishReason(
  stopReason: unknown,
  legacyFunctions = false,
): string {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return legacyFunctions ? 'function_call' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * A chat choice's `stop_reason` for the stop sequence that ended it: vLLM's field (the
 * matched stop string), set here too so the Messages API can report which one matched.
 */
export function matchedStop(
  stopReason: unknown,
  sequence: unknown,
): { stop_reason?: string } {
  return stopReason === 'stop_sequence' && typeof sequence === 'string'
    ? { stop_reason: sequence }
    : {};
}

/**
 * Anthropic's `stop_reason` and `stop_sequence` of a chat finish: a stop string the upstream
 * says matched (`matched`, a choice's `stop_reason`) makes it a `stop_sequence` stop.
 */
export function anthropicStop(
  finish: unknown,
  matched: unknown,
): { stop_reason: string; stop_sequence: string | null } {
  return finish === 'stop' && typeof matched === 'string' && matched
    ? { stop_reason: 'stop_sequence', stop_sequence: matched }
    : { stop_reason: anthropicStopReason(finish), stop_sequence: null };
}

/** An OpenAI finish reason as Anthropic's stop reason: `finishReason` the other way. */
function anthropicStopReason(finish: unknown): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** What Anthropic takes as a base64 image's `media_type`; it becomes part of a data: URL. */
export const IMAGE_MEDIA_TYPES: ReadonlySet<unknown> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
]);

/** An Anthropic image source as an OpenAI image URL: `imageBlock` the other way. */
export function imageUrl(source: Json): string | undefined {
  if (source?.type === 'base64') {
    return IMAGE_MEDIA_TYPES.has(source.media_type) &&
      typeof source.data === 'string'
      ? `data:${source.media_type};base64,${source.data}`
      : undefined;
  }
  return source?.type === 'url' && typeof source.url === 'string'
    ? source.url
    : undefined;
}

/**
 * An Anthropic Messages answer as an OpenAI chat.completion; throws on content blocks the
 * caller could not read (text, or a tool's name or id, that is not text), as the stream's
 * translation does. `legacyFunctions`: the call goes back in the older form it was asked in.
 */
export function fromAnthropicResponse(
  message: Json,
  created: number,
  legacyFunctions = false,
): Json {
  const usage = chatUsage(message.usage, message.usage?.output_tokens);
  let text = '';
  const toolCalls: Json[] = [];
  for (const block of message.content ?? []) {
    if (block?.type === 'text') {
      if (typeof block.text !== 'string') throw new TypeError('text not text');
      text += block.text;
    }
    if (block?.type === 'tool_use') {
      if (
        typeof block.name !== 'string' ||
        !['string', 'undefined'].includes(typeof block.id)
      ) {
        throw new TypeError('name or id not text');
      }
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: {
          name: block.name,
          arguments: JSON.stringify(block.input ?? {}),
        },
      });
    }
  }
  return {
    id: message.id,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (toolCalls.length > 0 ? null : ''),
          ...calls(toolCalls, legacyFunctions),
        },
        finish_reason: finishReason(message.stop_reason, legacyFunctions),
        ...matchedStop(message.stop_reason, message.stop_sequence),
      },
    ],
    // Usage that is no count (1e308) is charged by the tokenizer, not as reported: the answer
    // claims no count then, rather than one it was not charged (or `null`, `1e+308`).
    ...(openAiUsageOf(usage) ? { usage } : {}),
  };
}

/** A message's calls: `tool_calls`, or the older `function_call` (one) it was asked in. */
function calls(toolCalls: Json[], legacyFunctions: boolean): Json {
  if (toolCalls.length === 0) return {};
  return legacyFunctions
    ? { function_call: toolCalls[0].function }
    : { tool_calls: toolCalls };
}

/**
 * Anthropic's usage as chat's. Its `input_tokens` leave out the prompt-cache reads and
 * writes, which chat's `prompt_tokens` count (`cached_tokens` says how many were reads). A
 * count that is missing or not a number stays as it came, for the usage check to refuse: only
 * usage that `openAiUsageOf` takes may be written into an answer.
 */
export function chatUsage(usage: Json | undefined, output: unknown): Json {
  // A count left out stays out: the usage check then refuses it, and the tokenizer counts.
  const input = usage?.input_tokens;
  const read = countOrZero(usage?.cache_read_input_tokens);
  // Only a count gets the cache's added: a negative one must stay negative to be refused.
  const prompt =
    Number.isSafeInteger(input) && input >= 0
      ? input + read + countOrZero(usage?.cache_creation_input_tokens)
      : input;
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens:
      typeof prompt === 'number' && typeof output === 'number'
        ? prompt + output
        : 0,
    ...(read > 0 ? { prompt_tokens_details: { cached_tokens: read } } : {}),
  };
}

function countOrZero(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) > 0
    ? (value as number)
    : 0;
}
