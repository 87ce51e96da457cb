import {
  chatContent,
  fail,
  isObject,
  Json,
  present,
  requireString,
} from '../fieldChecks';

/**
 * Where each chat message came from in the Responses request: its item (`input.3`,
 * `instructions`, `input` when a string) and, for an assistant turn made of consecutive
 * function calls, each call's item; so that a chat check's field names the caller's.
 */
export interface MessageSource {
  at: string;
  calls?: string[];
}

/**
 * The Responses API's `input` (a string, or message, function-call and function-call-output
 * items) and `instructions` as OpenAI chat messages, each bad field a 400 naming it
 * (`input.2.call_id`, `input.0.content.1.image_url`), and where each came from.
 */
export function inputToChatMessages(
  input: unknown,
  instructions: string | undefined,
): { messages: Json[]; sources: MessageSource[] } {
  const messages: Json[] = [];
  const sources: MessageSource[] = [];
  if (instructions) {
    messages.push({ role: 'system', content: instructions });
    sources.push({ at: 'instructions' });
  }
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    sources.push({ at: 'input' });
    return { messages, sources };
  }
  if (!Array.isArray(input) || input.length === 0) {
    fail('input', 'must be a string or a non-empty array of items');
  }
  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    const at = `input.${i}`;
    if (!isObject(item)) fail(at, 'must be an object');
    switch (item.type ?? 'message') {
      case 'message':
        messages.push(chatMessage(item, at));
        sources.push({ at });
        break;
      case 'function_call':
        addToolCall(messages, sources, item, at);
        break;
      case 'function_call_output':
        messages.push({
          role: 'tool',
          tool_call_id: requireString(item.call_id, `${at}.call_id`),
          content: outputText(item.output, `${at}.output`),
        });
        sources.push({ at });
        break;
      case 'reasoning':
        // A reasoning item an earlier response returned: chat upstreams take none back.
        break;
      case 'item_reference':
        fail(
          `${at}.type`,
          'item_reference needs responses stored by the server, and this gateway stores none: send the items themselves',
        );
        break;
      default:
        fail(
          `${at}.type`,
          'must be message, function_call, function_call_output or reasoning',
        );
    }
  }
  if (messages.length === (instructions ? 1 : 0)) {
    // Reasoning items alone: nothing a chat upstream could answer.
    fail('input', 'must hold at least one message or function call item');
  }
  return { messages, sources };
}

/** A Map, not an object: a role such as `constructor` must not find Object's own properties. */
const ROLES = new Map([
  ['user', 'user'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  // Chat upstreams (vLLM's templates among them) know `system`; OpenAI treats both alike.
  ['developer', 'system'],
]);

function chatMessage(item: Json, at: string): Json {
  const role = ROLES.get(item.role);
  if (!role)
    fail(`${at}.role`, 'must be one of user, assistant, system, developer');
  const content = item.content;
  if (typeof content === 'string') return { role, content };
  if (!Array.isArray(content)) {
    fail(`${at}.content`, 'must be a string or an array of content parts');
  }
  const parts: Json[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const partAt = `${at}.content.${j}`;
    if (!isObject(part)) fail(partAt, 'must be an object');
    switch (part.type) {
      case 'input_text':
      case 'output_text': {
        const value = requireString(part.text, `${partAt}.text`);
        parts.push({ type: 'text', text: value });
        break;
      }
      case 'refusal': {
        const value = requireString(part.refusal, `${partAt}.refusal`);
        parts.push({ type: 'text', text: value });
        break;
      }
      case 'input_image':
        if (role !== 'user')
          fail(`${partAt}.type`, 'only user messages may hold images');
        if (present(part.file_id)) {
          fail(
            `${partAt}.file_id`,
            'is not supported: this gateway stores no files; send image_url',
          );
        }
        parts.push({
          type: 'image_url',
          image_url: {
            url: requireString(part.image_url, `${partAt}.image_url`),
            // Any detail goes on, to be checked as chat's `image_url.detail`.
            ...(present(part.detail) ? { detail: part.detail } : {}),
          },
        });
        break;
      default:
        fail(
          `${partAt}.type`,
          'must be input_text, output_text, refusal or input_image',
        );
    }
  }
  return { role, content: chatContent(parts) };
}

/** Function calls follow their assistant turn: consecutive ones make one chat message. */
function addToolCall(
  messages: Json[],
  sources: MessageSource[],
  item: Json,
  at: string,
): void {
  const call = {
    id: requireString(item.call_id, `${at}.call_id`),
    type: 'function',
    function: {
      name: requireString(item.name, `${at}.name`),
      arguments: requireString(item.arguments, `${at}.arguments`),
    },
  };
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant') {
    (last.tool_calls ??= []).push(call);
    if (last.content === '') last.content = null;
    const source = sources[sources.length - 1];
    (source.calls ??= []).push(at);
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
  sources.push({ at, calls: [at] });
}

/** A chat message's field in Responses terms, below the item it came from. */
const CHAT_TO_RESPONSES_FIELD: Array<[RegExp, string]> = [
  [/^\.content\.(\d+)\.image_url\.url$/, '.content.$1.image_url'],
  [/^\.content\.(\d+)\.image_url\.detail$/, '.content.$1.detail'],
  [/^\.tool_call_id$/, '.call_id'],
  // A tool message out of turn (`ToolTurns`) is the function_call_output item itself.
  [/^\.role$/, ''],
];

/**
 * A chat check's field of a translated message (`messages.2.content.0.image_url.detail`) as
 * the Responses field it came from (`input.1.content.0.detail`); other fields as they are.
 */
export function inputField(
  chatParam: string,
  sources: readonly MessageSource[],
): string | undefined {
  const match = /^messages\.(\d+)(\..*)?$/.exec(chatParam);
  const source = match && sources[Number(match[1])];
  if (!source) return undefined;
  const rest = match[2] ?? '';
  if (source.at === 'instructions' || source.at === 'input') return source.at;
  const call = /^\.tool_calls\.(\d+)(?:\.function)?(\..*)?$/.exec(rest);
  if (call && source.calls?.[Number(call[1])]) {
    const field = call[2] === '.id' ? '.call_id' : call[2] ?? '';
    return `${source.calls[Number(call[1])]}${field}`;
  }
  for (const [pattern, field] of CHAT_TO_RESPONSES_FIELD) {
    if (pattern.test(rest))
      return `${source.at}${rest.replace(pattern, field)}`;
  }
  return `${source.at}${rest}`;
}

/** A tool's output: a string, or text parts (chat tool messages hold text only). */
function outputText(output: unknown, at: string): string | Json[] {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output))
    fail(at, 'must be a string or an array of input_text parts');
  const parts: Json[] = [];
  for (let j = 0; j < output.length; j++) {
    const part = output[j];
    if (!isObject(part) || part.type !== 'input_text') {
      fail(
        `${at}.${j}.type`,
        'must be input_text (tool outputs go upstream as text)',
      );
    }
    parts.push({
      type: 'text',
      text: requireString(part.text, `${at}.${j}.text`),
    });
  }
  return chatContent(parts);
}
