import {
  IMAGE_MEDIA_TYPES,
  imageUrl,
} from '../../providers/anthropicTranslation';
import {
  chatContent,
  fail,
  isObject,
  Json,
  present,
  requireString,
} from '../fieldChecks';
import { ToolCallAt, ToolTurns } from '../../router/ToolTurns';
import { imageUrlProblem, isBase64 } from '../../router/chatMessages';
import type { CacheBreakpoints } from './cacheControl';

/** An assistant turn's text and image parts and its tool calls, as chat has them. */
interface AssistantTurn {
  parts: Json[];
  calls: Json[];
}

/**
 * Anthropic's `system` and `messages` (text, image, tool_use and tool_result blocks) as
 * OpenAI chat messages, each bad field a 400 naming it (`messages.1.content.0.tool_use_id`).
 * Tool results become tool messages ahead of the user's other content, where chat wants them;
 * each answers a `tool_use` of the assistant message right before it, which has them all.
 * Each `cache_control` is checked and counted by `breakpoints`.
 */
export function messagesToChat(
  messages: unknown,
  system: unknown,
  breakpoints: CacheBreakpoints,
): Json[] {
  const out: Json[] = [];
  const toolTurns = new ToolTurns();
  /** The assistant turn last translated, which a turn right after it joins. */
  let assistant: AssistantTurn | undefined;
  const instructions = systemText(system, breakpoints);
  if (instructions) out.push({ role: 'system', content: instructions });
  if (!Array.isArray(messages) || messages.length === 0) {
    fail('messages', 'must be a non-empty array');
  }
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const at = `messages.${i}`;
    if (!isObject(message)) fail(at, 'must be an object');
    if (message.role !== 'user' && message.role !== 'assistant') {
      fail(`${at}.role`, 'must be user or assistant');
    }
    const content = message.content;
    if (typeof content !== 'string' && !Array.isArray(content)) {
      fail(`${at}.content`, 'must be a string or an array of content blocks');
    }
    if (message.role === 'assistant') {
      const turn =
        typeof content === 'string'
          ? { parts: chatParts(content), calls: [] }
          : assistantTurn(content, at, breakpoints);
      const calls = typeof content === 'string' ? [] : toolUses(content, at);
      // Anthropic joins consecutive turns of a role. In chat the calls of one turn must be one
      // message, right before their answers: a turn right after another joins it.
      if (assistant && messages[i - 1]?.role === 'assistant') {
        assistant.parts.push(...turn.parts);
        assistant.calls.push(...turn.calls);
        toolTurns.moreCalls(calls);
        out[out.length - 1] = assistantMessage(assistant);
      } else {
        assistant = turn;
        toolTurns.calls(calls);
        out.push(assistantMessage(assistant));
      }
    } else if (typeof content === 'string') {
      toolTurns.other();
      out.push({ role: 'user', content });
    } else {
      // An empty turn would vanish in translation and leave the upstream to refuse a
      // request that no longer says what was wrong with it.
      if (content.length === 0) {
        fail(`${at}.content`, 'must hold at least one content block');
      }
      // Answers may come in more than one user turn (Anthropic joins these too): in chat they
      // are still the tool messages right after the calls, until a turn says something
      // besides, which becomes a chat user message after them.
      const turn = userTurn(content, at, toolTurns, breakpoints);
      if (turn[turn.length - 1].role === 'user') toolTurns.other();
      out.push(...turn);
    }
  }
  toolTurns.end();
  return out;
}

function systemText(
  system: unknown,
  breakpoints: CacheBreakpoints,
): string | Json[] {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) {
    fail('system', 'must be a string or an array of text blocks');
  }
  return chatContent(
    system.map((block, j) => {
      if (!isObject(block) || block.type !== 'text') {
        fail(`system.${j}.type`, 'must be text');
      }
      breakpoints.check(block.cache_control, `system.${j}.cache_control`);
      return {
        type: 'text',
        text: requireString(block.text, `system.${j}.text`),
      };
    }),
  );
}

function blockAt(content: unknown[], j: number, at: string): Json {
  const block = content[j];
  if (!isObject(block)) fail(`${at}.content.${j}`, 'must be an object');
  return block;
}

function userTurn(
  content: unknown[],
  at: string,
  toolTurns: ToolTurns,
  breakpoints: CacheBreakpoints,
): Json[] {
  const turn: Json[] = [];
  const parts: Json[] = [];
  for (let j = 0; j < content.length; j++) {
    const block = blockAt(content, j, at);
    const blockAtPath = `${at}.content.${j}`;
    switch (block.type) {
      case 'text': {
        const value = requireString(block.text, `${blockAtPath}.text`);
        parts.push({ type: 'text', text: value });
        break;
      }
      case 'image': {
        const source = block.source;
        if (
          isObject(source) &&
          source.type === 'base64' &&
          !IMAGE_MEDIA_TYPES.has(source.media_type)
        ) {
          fail(
            `${blockAtPath}.source.media_type`,
            `must be one of ${[...IMAGE_MEDIA_TYPES].join(', ')}`,
          );
        }
        if (
          isObject(source) &&
          source.type === 'base64' &&
          typeof source.data === 'string' &&
          !isBase64(source.data)
        ) {
          fail(`${blockAtPath}.source.data`, 'must be base64 image data');
        }
        if (
          isObject(source) &&
          source.type === 'url' &&
          typeof source.url === 'string'
        ) {
          const problem = imageUrlProblem(source.url);
          if (problem) fail(`${blockAtPath}.source.url`, problem);
        }
        const url = imageUrl(source);
        if (!url) {
          fail(
            `${blockAtPath}.source`,
            'must be a base64 source (media_type, data) or a url source',
          );
        }
        parts.push({ type: 'image_url', image_url: { url } });
        break;
      }
      case 'tool_result': {
        const id = requireString(
          block.tool_use_id,
          `${blockAtPath}.tool_use_id`,
        );
        toolTurns.answer(id, `${blockAtPath}.tool_use_id`, blockAtPath);
        turn.push({
          role: 'tool',
          tool_call_id: id,
          content: toolResultText(
            block.content,
            `${blockAtPath}.content`,
            breakpoints,
          ),
        });
        break;
      }
      default:
        fail(
          `${blockAtPath}.type`,
          'must be text, image or tool_result in a user message',
        );
    }
    breakpoints.check(block.cache_control, `${blockAtPath}.cache_control`);
  }
  if (parts.length > 0)
    turn.push({ role: 'user', content: chatContent(parts) });
  return turn;
}

function assistantTurn(
  content: unknown[],
  at: string,
  breakpoints: CacheBreakpoints,
): AssistantTurn {
  const parts: Json[] = [];
  const calls: Json[] = [];
  for (let j = 0; j < content.length; j++) {
    const block = blockAt(content, j, at);
    const blockAtPath = `${at}.content.${j}`;
    switch (block.type) {
      case 'text':
        parts.push({
          type: 'text',
          text: requireString(block.text, `${blockAtPath}.text`),
        });
        break;
      case 'tool_use':
        if (!isObject(block.input))
          fail(`${blockAtPath}.input`, 'must be an object');
        calls.push({
          id: requireString(block.id, `${blockAtPath}.id`),
          type: 'function',
          function: {
            name: requireString(block.name, `${blockAtPath}.name`),
            arguments: JSON.stringify(block.input),
          },
        });
        break;
      case 'thinking':
      case 'redacted_thinking':
        // Anthropic refuses it there: a thinking block is passed back as it came.
        if (present(block.cache_control)) {
          fail(
            `${blockAtPath}.cache_control`,
            `is not taken on a ${block.type} block`,
          );
        }
        // Earlier reasoning of an Anthropic model: chat upstreams take none back.
        break;
      default:
        fail(
          `${blockAtPath}.type`,
          'must be text, tool_use or thinking in an assistant message',
        );
    }
    breakpoints.check(block.cache_control, `${blockAtPath}.cache_control`);
  }
  return { parts, calls };
}

/** An assistant turn as one chat message. */
function assistantMessage({ parts, calls }: AssistantTurn): Json {
  const text = chatContent(parts);
  return calls.length > 0
    ? { role: 'assistant', content: text || null, tool_calls: [...calls] }
    : { role: 'assistant', content: text };
}

/** An assistant turn's `tool_use` blocks as the calls a refusal names by their block. */
function toolUses(content: unknown[], at: string): ToolCallAt[] {
  return content.flatMap((block, k) =>
    (block as Json).type === 'tool_use'
      ? [{ id: (block as Json).id as string, param: `${at}.content.${k}` }]
      : [],
  );
}

/** A string turn's text as parts, none when empty. */
function chatParts(text: string): Json[] {
  return text ? [{ type: 'text', text }] : [];
}

/** A tool result's content: a string, or text blocks (chat tool messages hold text only). */
function toolResultText(
  content: unknown,
  at: string,
  breakpoints: CacheBreakpoints,
): string | Json[] {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    fail(at, 'must be a string or an array of text blocks');
  const parts: Json[] = [];
  for (let k = 0; k < content.length; k++) {
    const block = content[k];
    if (!isObject(block) || block.type !== 'text') {
      fail(
        `${at}.${k}.type`,
        'must be text (tool results go upstream as text)',
      );
    }
    breakpoints.check(block.cache_control, `${at}.${k}.cache_control`);
    parts.push({
      type: 'text',
      text: requireString(block.text, `${at}.${k}.text`),
    });
  }
  return chatContent(parts);
}
