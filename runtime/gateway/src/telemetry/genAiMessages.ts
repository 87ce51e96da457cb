/**
 * Chat messages as the GenAI semantic conventions record them in `gen_ai.input.messages`:
 * `{ role, parts }`, each part typed (`text`, `tool_call`, `tool_call_response`, `uri`,
 * `blob`). Built only for tenants that opted in to content capture.
 */
import type { GeneratedChoice } from '../providers/generatedText';

type Json = Record<string, any>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A tool call's arguments as an object when they are JSON, else as the text sent. */
function toolArguments(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function contentPart(part: unknown): Json {
  if (!isObject(part)) return { type: 'text', content: String(part) };
  switch (part.type) {
    case 'text':
      return { type: 'text', content: part.text };
    case 'refusal':
      return { type: 'text', content: part.refusal };
    case 'image_url':
      return { type: 'uri', modality: 'image', uri: part.image_url?.url };
    case 'input_audio':
      return {
        type: 'blob',
        modality: 'audio',
        mime_type: `audio/${part.input_audio?.format}`,
        content: part.input_audio?.data,
      };
    default:
      return { type: String(part.type), content: part };
  }
}

function contentParts(content: unknown): Json[] {
  if (content === undefined || content === null) return [];
  if (Array.isArray(content)) return content.map(contentPart);
  return [{ type: 'text', content: String(content) }];
}

function genAiMessage(message: unknown): Json {
  if (!isObject(message)) return { role: 'user', parts: contentParts(message) };
  if (message.role === 'tool') {
    return {
      role: 'tool',
      parts: [
        {
          type: 'tool_call_response',
          id: message.tool_call_id,
          response: message.content,
        },
      ],
    };
  }
  const parts = contentParts(message.content);
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      parts.push({
        type: 'tool_call',
        id: call?.id,
        // A custom tool's input is free-form text, recorded as it was sent.
        ...(call?.type === 'custom'
          ? { name: call.custom?.name, arguments: call.custom?.input }
          : {
              name: call?.function?.name,
              arguments: toolArguments(call?.function?.arguments),
            }),
      });
    }
  }
  return {
    role: message.role,
    ...(typeof message.name === 'string' ? { name: message.name } : {}),
    parts,
  };
}

/**
 * `messages` of a chat body in the conventions' shape; anything else (an embeddings input)
 * as it came.
 */
export function genAiInputMessages(body: Json): unknown {
  const messages = body.messages;
  return Array.isArray(messages) ? messages.map(genAiMessage) : body.input;
}

/** OpenAI's finish reasons in the conventions' terms; a choice that never finished broke off. */
function genAiFinishReason(reason: string | undefined): string {
  if (reason === undefined) return 'error';
  return reason === 'tool_calls' || reason === 'function_call'
    ? 'tool_call'
    : reason;
}

/**
 * What each choice generated as the conventions' `gen_ai.output.messages`: `{ role, parts,
 * finish_reason }`, with text and `tool_call` parts.
 */
export function genAiOutputMessages(choices: GeneratedChoice[]): Json[] {
  const messages: Json[] = [];
  for (const choice of choices) {
    if (!choice) continue;
    const parts: Json[] = [];
    if (choice.text) parts.push({ type: 'text', content: choice.text });
    if (choice.refusal) parts.push({ type: 'text', content: choice.refusal });
    for (const call of choice.toolCalls) {
      if (!call) continue;
      parts.push({
        type: 'tool_call',
        ...(call.id ? { id: call.id } : {}),
        name: call.name,
        arguments: call.custom ? call.arguments : toolArguments(call.arguments),
      });
    }
    messages.push({
      role: 'assistant',
      parts,
      finish_reason: genAiFinishReason(choice.finishReason),
    });
  }
  return messages;
}
