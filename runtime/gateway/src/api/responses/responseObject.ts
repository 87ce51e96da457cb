import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import { requestIdTag } from '../requestIdTag';
import type { ResponseEcho } from './responsesRequest';

/** The ids of one response and its output items, derived from the gateway's request id. */
export class ResponseIds {
  readonly response: string;
  readonly message: string;
  private readonly tag: string;

  constructor(requestId: string) {
    this.tag = requestIdTag(requestId);
    this.response = `resp_${this.tag}`;
    this.message = `msg_${this.tag}`;
  }

  /** The message item at `outputIndex`: the first keeps the plain id. */
  messageAt(outputIndex: number): string {
    return outputIndex === 0 ? this.message : `${this.message}_${outputIndex}`;
  }

  functionCall(index: number): string {
    return `fc_${this.tag}_${index}`;
  }
}

/** Why a response is incomplete, from the chat finish reason; undefined when it is complete. */
export function incompleteReason(finish: unknown): string | undefined {
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return undefined;
}

export function responseUsage(usage: TokenUsage): Json {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** A Responses API `response` object; without usage it is one still in progress. */
export function responseObject(
  fields: {
    id: string;
    createdAt: number;
    model: string;
    output: Json[];
    usage?: TokenUsage;
    finish?: unknown;
  },
  echo: ResponseEcho,
): Json {
  const incomplete = fields.usage ? incompleteReason(fields.finish) : undefined;
  let status = 'in_progress';
  if (fields.usage) status = incomplete ? 'incomplete' : 'completed';
  // Every field written out, not spread from `echo`: an object literal of one fixed shape is
  // built and serialized several times faster than one grown by a spread.
  return {
    id: fields.id,
    object: 'response',
    created_at: fields.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: incomplete } : null,
    model: fields.model,
    output: fields.output,
    previous_response_id: null,
    store: false,
    truncation: 'disabled',
    usage: fields.usage ? responseUsage(fields.usage) : null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    temperature: echo.temperature,
    top_p: echo.top_p,
    tools: echo.tools,
    tool_choice: echo.tool_choice,
    parallel_tool_calls: echo.parallel_tool_calls,
    metadata: echo.metadata,
    reasoning: echo.reasoning,
    text: echo.text,
    user: echo.user,
  };
}

/** A finished assistant message item holding `text`. */
/** `status` is `incomplete` for the item the output limit cut off. */
export function messageItem(
  id: string,
  text: string,
  refusal = false,
  status: ItemStatus = 'completed',
): Json {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: [
      refusal
        ? { type: 'refusal', refusal: text }
        : { type: 'output_text', text, annotations: [], logprobs: [] },
    ],
  };
}

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export function functionCallItem(
  id: string,
  call: { id: string; name: string; arguments: string },
  status: ItemStatus,
): Json {
  return {
    type: 'function_call',
    id,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status,
  };
}
