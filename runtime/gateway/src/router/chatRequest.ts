import {
  Capability,
  hasUnstorableText,
} from '@cellport/plugin-platform-common';
import { GatewayError } from '../http/GatewayError';
import {
  PromptImages,
  promptTokenBound,
  reserializedGrowth,
} from '../limits/promptTokenBound';
import {
  followToolTurns,
  validateContentPart,
  validateMessageFields,
} from './chatMessages';
import { ToolTurns } from './ToolTurns';
import { validateChatParams } from './chatParams';
import { CHAT_FIELDS, complexityScore, RequestFields } from '@cellport/router';

const ROLES = new Set([
  'system',
  'developer',
  'user',
  'assistant',
  'tool',
  'function',
]);

/** What the router and the limits need to know about a chat request, read in one pass. */
export interface ChatRequestSummary {
  model: string;
  stream: boolean;
  /** The caller asked for the final usage chunk of a stream. */
  includeUsage: boolean;
  maxTokens?: number;
  /** The fields a context refusal names: `max_completion_tokens` where the caller set it. */
  fields: RequestFields;
  requiredCapabilities: Capability[];
  /**
   * Realistic prompt size for the context check: about four characters a token, plus
   * per-message overhead. It errs low for other scripts and emoji, so nothing is charged by it.
   */
  estimatedInputTokens: number;
  /** The most tokens the prompt can come to under any tokenizer: what is reserved. */
  promptTokenBound: number;
  /** Images in the prompt: a profile may count each above the bound's allowance. */
  promptImages: number;
  /** Completions asked for (`n`, default 1): each may produce every output token. */
  choices: number;
  complexity: number;
}

const COMPLETION_FIELDS: RequestFields = {
  ...CHAT_FIELDS,
  maxOutputTokens: 'max_completion_tokens',
};

/** The most tokens a request may name: what the portal's event contract holds. */
const MAX_TOKEN_COUNT = 2_147_483_647;

function positiveInt(
  body: Record<string, unknown>,
  field: string,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (
    !Number.isInteger(value) ||
    (value as number) <= 0 ||
    (value as number) > MAX_TOKEN_COUNT
  ) {
    throw GatewayError.invalid(
      `${field} must be a positive integer of at most ${MAX_TOKEN_COUNT}`,
      field,
    );
  }
  return value as number;
}

function contentText(
  content: unknown,
  index: number,
  capabilities: Set<Capability>,
  images: PromptImages,
): string {
  if (typeof content === 'string') {
    return content;
  }
  if (content === null || content === undefined) {
    return '';
  }
  if (!Array.isArray(content)) {
    throw GatewayError.invalid(
      `messages.${index}.content must be a string or an array of parts`,
      `messages.${index}.content`,
    );
  }
  let text = '';
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    validateContentPart(part, index, j);
    if (part.type === 'text') {
      text += part.text;
    } else if (part.type === 'image_url' || part.type === 'input_image') {
      capabilities.add('vision');
      images.count += 1;
      images.urlChars += imageUrlChars(part);
    }
  }
  return text;
}

/** Characters of an image part's URL: `image_url: { url }`, or a plain string. */
function imageUrlChars(part: { image_url?: unknown }): number {
  const ref = part.image_url as { url?: unknown } | string | undefined | null;
  const url = typeof ref === 'string' ? ref : ref?.url;
  return typeof url === 'string' ? url.length : 0;
}

/**
 * What tool-call arguments can grow by as an upstream that takes them as JSON (Anthropic's
 * `input`) is sent them: parsed and written back, where the body's bytes hold them as a string.
 */
function callsGrowth(calls: unknown, legacy: unknown): number {
  let growth = 0;
  const functions = Array.isArray(calls)
    ? calls.map(call => call?.function)
    : [];
  for (const fn of [...functions, legacy]) {
    const args = (fn as { arguments?: unknown } | null | undefined)?.arguments;
    if (typeof args === 'string') {
      growth += reserializedGrowth(Buffer.from(args));
    }
  }
  return growth;
}

/** Whether tool definitions or calls (checked already) hold a custom, free-form one. */
function hasCustomTool(tools: unknown): boolean {
  return Array.isArray(tools) && tools.some(tool => tool?.type === 'custom');
}

/** `n` as asked for (its range is validated with the other parameters), else 1. */
function choicesOf(body: Record<string, unknown>): number {
  const n = body.n;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
}

/**
 * Validates an OpenAI chat request by hand (it is the hottest path of the gateway, and a
 * schema library costs several times more here) and summarises it. Throws a 400 naming the
 * field at fault.
 */
export function summarizeChatRequest(
  body: Record<string, unknown>,
  raw: Buffer = Buffer.from(JSON.stringify(body)),
): ChatRequestSummary {
  const model = body.model;
  if (
    typeof model !== 'string' ||
    model.length === 0 ||
    model.length > 200 ||
    hasUnstorableText(model)
  ) {
    throw GatewayError.invalid(
      'model must be a non-empty string of at most 200 characters, without NUL characters or unpaired surrogates',
      'model',
    );
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw GatewayError.invalid(
      'messages must be a non-empty array',
      'messages',
    );
  }
  if (
    body.stream !== undefined &&
    body.stream !== null &&
    typeof body.stream !== 'boolean'
  ) {
    throw GatewayError.invalid('stream must be a boolean', 'stream');
  }
  validateChatParams(body);
  const capabilities = new Set<Capability>();
  const texts: string[] = [];
  const images: PromptImages = { count: 0, urlChars: 0 };
  let chars = 0;
  let argumentsGrowth = 0;
  const toolTurns = new ToolTurns();
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (
      message === null ||
      typeof message !== 'object' ||
      !ROLES.has(message.role)
    ) {
      throw GatewayError.invalid(
        `messages.${i}.role must be one of ${[...ROLES].join(', ')}`,
        `messages.${i}.role`,
      );
    }
    validateMessageFields(message, i);
    followToolTurns(toolTurns, message, i);
    const text = contentText(message.content, i, capabilities, images);
    texts.push(text);
    chars += text.length;
    if (Array.isArray(message.tool_calls) || message.function_call) {
      argumentsGrowth += callsGrowth(message.tool_calls, message.function_call);
    }
    // Earlier turns' calls and their results too: a profile without tools cannot read them.
    if (
      (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) ||
      message.function_call ||
      message.role === 'tool' ||
      message.role === 'function'
    ) {
      capabilities.add('tools');
      if (hasCustomTool(message.tool_calls)) capabilities.add('custom-tools');
    }
  }
  toolTurns.end();
  const tools = body.tools;
  if (Array.isArray(tools)) {
    if (tools.length > 0) {
      capabilities.add('tools');
      if (hasCustomTool(tools)) capabilities.add('custom-tools');
      chars += JSON.stringify(tools).length;
    }
  }
  // The deprecated `functions` are tool definitions too, and need a profile that takes them.
  if (Array.isArray(body.functions) && body.functions.length > 0) {
    capabilities.add('tools');
    chars += JSON.stringify(body.functions).length;
  }
  const format = body.response_format as { type?: unknown } | undefined | null;
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    capabilities.add('json-mode');
  }
  // Only some protocols carry them back: a profile that would drop them cannot serve it.
  if (body.logprobs === true) capabilities.add('logprobs');
  const streamOptions = body.stream_options as
    | { include_usage?: unknown }
    | undefined
    | null;
  // Both checked: the older field is no less the caller's for the newer one beside it.
  const maxCompletionTokens = positiveInt(body, 'max_completion_tokens');
  const legacyMaxTokens = positiveInt(body, 'max_tokens');
  const lastUser = findLastUserText(messages, texts);
  return {
    model,
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    maxTokens: maxCompletionTokens ?? legacyMaxTokens,
    fields:
      body.max_completion_tokens === undefined ||
      body.max_completion_tokens === null
        ? CHAT_FIELDS
        : COMPLETION_FIELDS,
    requiredCapabilities: [...capabilities],
    estimatedInputTokens: Math.ceil(chars / 4) + 4 * messages.length,
    promptTokenBound: promptTokenBound(raw, images) + argumentsGrowth,
    promptImages: images.count,
    choices: choicesOf(body),
    complexity: complexityScore({
      promptChars: chars,
      messageCount: messages.length,
      toolCount: Array.isArray(tools) ? tools.length : 0,
      lastUserText: lastUser,
    }),
  };
}

function findLastUserText(
  messages: Array<{ role?: unknown }>,
  texts: string[],
): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') {
      return texts[i];
    }
  }
  return '';
}
