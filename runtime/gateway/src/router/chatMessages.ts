import { GatewayError } from '../http/GatewayError';
import type { ToolTurns } from './ToolTurns';

/**
 * OpenAI's checks of one chat message's fields besides its role, and of its content parts.
 * They go a fixed number of levels deep (message → tool call → function), never into
 * free-form values.
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

const IMAGE_DETAILS = new Set(['auto', 'low', 'high']);
/** The images OpenAI reads (and Anthropic's API, which a profile may translate them to). */
const IMAGE_DATA_URL = /^data:image\/(?:jpeg|jpg|png|gif|webp);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Whether `text` is base64 image data (padding optional): not empty, and not of a length no
 * encoding has (a remainder of one character).
 */
export function isBase64(text: string): boolean {
  return text.length > 0 && text.length % 4 !== 1 && BASE64.test(text);
}

/** Why `url` is no image URL an upstream reads (http(s), or base64 image data), or undefined. */

export function imageUrlProblem(url: string): string | undefined {
  if (/^https?:\/\//i.test(url)) return undefined;
  const data = IMAGE_DATA_URL.exec(url);
  if (!data) {
    return 'must be an http(s) URL or a base64 data URL of a JPEG, PNG, GIF or WebP image (data:image/png;base64,...)';
  }
  return isBase64(url.slice(data[0].length))
    ? undefined
    : 'holds image data that is not base64';
}

/** Only an assistant turn (which may hold just tool calls) may come without content. */
const CONTENT_REQUIRED = new Set(['system', 'developer', 'user', 'tool']);

function checkToolCalls(calls: unknown, at: string) {
  if (!present(calls)) return;
  if (!Array.isArray(calls)) fail(`${at}.tool_calls`, 'must be an array');
  for (let j = 0; j < calls.length; j++) {
    const call = calls[j];
    const param = `${at}.tool_calls.${j}`;
    if (!isObject(call)) fail(param, 'must be an object');
    if (typeof call.id !== 'string') fail(`${param}.id`, 'must be a string');
    if (
      present(call.type) &&
      call.type !== 'function' &&
      call.type !== 'custom'
    ) {
      fail(`${param}.type`, 'must be function or custom');
    }
    if (call.type === 'custom') {
      const custom = call.custom;
      if (!isObject(custom)) fail(`${param}.custom`, 'must be an object');
      if (typeof custom.name !== 'string') {
        fail(`${param}.custom.name`, 'must be a string');
      }
      if (typeof custom.input !== 'string') {
        fail(`${param}.custom.input`, 'must be a string');
      }
      continue;
    }
    checkFunction(call.function, `${param}.function`);
  }
}

/** A function call, in a tool call or as an assistant's legacy `function_call`. */
function checkFunction(fn: unknown, param: string) {
  if (!isObject(fn)) fail(param, 'must be an object');
  if (typeof fn.name !== 'string') fail(`${param}.name`, 'must be a string');
  if (typeof fn.arguments !== 'string') {
    fail(`${param}.arguments`, 'must be a string (JSON text)');
  }
}

/** Checks a message's fields other than `role` and `content` (the summary reads those). */
export function validateMessageFields(message: Json, index: number): void {
  const at = `messages.${index}`;
  const role = message.role as string;
  const content = message.content;
  if (Array.isArray(content) && content.length === 0) {
    fail(`${at}.content`, 'must hold at least one part');
  }
  if (!present(content)) {
    const toolTurn =
      role === 'assistant' &&
      (present(message.tool_calls) || present(message.function_call));
    if (CONTENT_REQUIRED.has(role) || (role === 'assistant' && !toolTurn)) {
      fail(`${at}.content`, `is required for a ${role} message`);
    }
  }
  if (present(message.refusal) && typeof message.refusal !== 'string') {
    fail(`${at}.refusal`, 'must be a string or null');
  }
  if (present(message.name) && typeof message.name !== 'string') {
    fail(`${at}.name`, 'must be a string');
  }
  if (role === 'tool' && typeof message.tool_call_id !== 'string') {
    fail(`${at}.tool_call_id`, 'must be a string for a tool message');
  }
  if (role === 'function' && typeof message.name !== 'string') {
    fail(`${at}.name`, 'must be a string for a function message');
  }
  checkToolCalls(message.tool_calls, at);
  if (role === 'assistant' && present(message.function_call)) {
    checkFunction(message.function_call, `${at}.function_call`);
  }
}

/** Checks one content part (`messages.<index>.content.<part>`) by its type. */
export function validateContentPart(
  part: unknown,
  index: number,
  partIndex: number,
): void {
  const at = `messages.${index}.content.${partIndex}`;
  if (!isObject(part) || typeof part.type !== 'string') {
    fail(`${at}.type`, 'must be a string');
  }
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') fail(`${at}.text`, 'must be a string');
      return;
    case 'image_url': {
      const image = part.image_url;
      if (!isObject(image) || typeof image.url !== 'string') {
        fail(`${at}.image_url.url`, 'must be a string');
      }
      const problem = imageUrlProblem(image.url);
      if (problem) fail(`${at}.image_url.url`, problem);
      if (present(image.detail) && !IMAGE_DETAILS.has(image.detail as string)) {
        fail(`${at}.image_url.detail`, 'must be auto, low or high');
      }
      return;
    }
    case 'input_audio': {
      const audio = part.input_audio;
      if (
        !isObject(audio) ||
        typeof audio.data !== 'string' ||
        typeof audio.format !== 'string'
      ) {
        fail(`${at}.input_audio`, 'must be an object with data and format');
      }
      return;
    }
    case 'refusal':
      if (typeof part.refusal !== 'string') {
        fail(`${at}.refusal`, 'must be a string');
      }
      return;
    default:
      // A file (a PDF by id or inline) or a video counts tokens that neither its bytes in the
      // body nor a fixed allowance bound, so no reservation could cover it.
      fail(
        `${at}.type`,
        'must be text, image_url, input_audio or refusal: other inputs (files, video) have token counts the gateway cannot bound before the call',
      );
  }
}

/** Feeds one chat message to the tool-turn check (`ToolTurns`). */
export function followToolTurns(
  turns: ToolTurns,
  message: Json,
  index: number,
): void {
  if (message.role === 'tool') {
    const at = `messages.${index}`;
    turns.answer(
      message.tool_call_id as string,
      `${at}.tool_call_id`,
      `${at}.role`,
    );
  } else if (
    message.role === 'assistant' &&
    Array.isArray(message.tool_calls)
  ) {
    turns.calls(
      message.tool_calls.map((call, j) => ({
        id: (call as Json).id as string,
        param: `messages.${index}.tool_calls.${j}`,
      })),
    );
  } else {
    turns.other();
  }
}
