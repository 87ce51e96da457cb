import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import { firstChoice, type ChatStreamTranslator } from '../translatedAnswer';
import {
  functionCallItem,
  incompleteReason,
  ItemStatus,
  messageItem,
  responseObject,
  ResponseIds,
} from './responseObject';
import type { ResponseEcho } from './responsesRequest';

interface OpenText {
  outputIndex: number;
  id: string;
  text: string;
  /** A refusal is a message part of its own type, with events of its own. */
  refusal: boolean;
}

interface OpenCall {
  outputIndex: number;
  id: string;
  call: { id: string; name: string; arguments: string };
}

/**
 * Turns a chat completion's chunks into the Responses API's typed events: response.created
 * and in_progress, an output item per text or function call (added, deltas, done), and
 * response.completed (or incomplete) with usage. Every event carries its sequence number.
 */
export class ResponsesStreamTranslator implements ChatStreamTranslator {
  private sequence = 0;

  /** The number the next event takes. */
  get nextSequence(): number {
    return this.sequence;
  }
  private started = false;
  private model = '';
  private finish: unknown;
  /** Output items by output index; open ones are replaced when they are done. */
  private readonly items: Json[] = [];
  private text?: OpenText;
  /** Open function calls by the chat chunk's tool-call index. */
  private readonly calls = new Map<number, OpenCall>();

  constructor(
    private readonly ids: ResponseIds,
    private readonly echo: ResponseEcho,
    private readonly createdAt: number,
  ) {}

  chunk(chunk: Json): string {
    let out = '';
    if (!this.started) out += this.start(chunk);
    const choice = firstChoice(chunk.choices);
    // Once the answer finished, its items are done: later content would open another one, in
    // an answer reported complete (the Messages translation drops it too).
    if (!choice || this.finish !== undefined) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content) {
      out += this.textDelta(delta.content, false);
    }
    if (typeof delta.refusal === 'string' && delta.refusal) {
      out += this.textDelta(delta.refusal, true);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) out += this.callDelta(call);
    }
    if (choice.finish_reason) {
      this.finish = choice.finish_reason;
      out += this.closeText() + this.closeCalls();
    }
    return out;
  }

  end(usage: TokenUsage): string {
    let out = this.started ? '' : this.start({});
    out += this.closeText() + this.closeCalls();
    const response = this.response(usage);
    return (
      out +
      this.event(
        response.status === 'incomplete'
          ? 'response.incomplete'
          : 'response.completed',
        { response },
      )
    );
  }

  /** Items still open when the upstream stopped at the output limit were cut off. */
  private closingStatus(): ItemStatus {
    return incompleteReason(this.finish) ? 'incomplete' : 'completed';
  }

  private event(type: string, fields: Json): string {
    const data = { type, sequence_number: this.sequence++, ...fields };
    return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private response(usage?: TokenUsage): Json {
    return responseObject(
      {
        id: this.ids.response,
        createdAt: this.createdAt,
        model: this.model,
        output: usage ? this.items : [],
        usage,
        finish: this.finish,
      },
      this.echo,
    );
  }

  private start(chunk: Json): string {
    this.started = true;
    this.model = String(chunk.model ?? '');
    const response = this.response();
    return (
      this.event('response.created', { response }) +
      this.event('response.in_progress', { response })
    );
  }

  /**
   * Text (or a refusal) opens a message item of its own. Function calls open before it stay
   * open: an upstream may send text between a call's argument deltas, and the call must
   * still come out whole, as one item.
   */
  private textDelta(delta: string, refusal: boolean): string {
    let out = '';
    if (this.text && this.text.refusal !== refusal) out += this.closeText();
    if (!this.text) {
      const outputIndex = this.items.length;
      const id = this.ids.messageAt(outputIndex);
      this.text = { outputIndex, id, text: '', refusal };
      const item = {
        ...messageItem(id, ''),
        status: 'in_progress',
        content: [],
      };
      this.items.push(item);
      out +=
        this.event('response.output_item.added', {
          output_index: outputIndex,
          item,
        }) +
        this.event('response.content_part.added', {
          item_id: id,
          output_index: outputIndex,
          content_index: 0,
          part: refusal
            ? { type: 'refusal', refusal: '' }
            : { type: 'output_text', text: '', annotations: [], logprobs: [] },
        });
    }
    const open = this.text;
    open.text += delta;
    const at = {
      item_id: open.id,
      output_index: open.outputIndex,
      content_index: 0,
    };
    return (
      out +
      (refusal
        ? this.event('response.refusal.delta', { ...at, delta })
        : this.event('response.output_text.delta', {
            ...at,
            delta,
            logprobs: [],
          }))
    );
  }

  private closeText(): string {
    const open = this.text;
    if (!open) return '';
    this.text = undefined;
    const item = messageItem(
      open.id,
      open.text,
      open.refusal,
      this.closingStatus(),
    );
    this.items[open.outputIndex] = item;
    const at = {
      item_id: open.id,
      output_index: open.outputIndex,
      content_index: 0,
    };
    return (
      (open.refusal
        ? this.event('response.refusal.done', { ...at, refusal: open.text })
        : this.event('response.output_text.done', {
            ...at,
            text: open.text,
            logprobs: [],
          })) +
      this.event('response.content_part.done', {
        ...at,
        part: item.content[0],
      }) +
      this.event('response.output_item.done', {
        output_index: open.outputIndex,
        item,
      })
    );
  }

  private callDelta(delta: Json): string {
    const index = Number(delta?.index ?? 0);
    let out = '';
    let open = this.calls.get(index);
    if (!open) {
      out += this.closeText();
      const outputIndex = this.items.length;
      open = {
        outputIndex,
        id: this.ids.functionCall(index),
        call: {
          id: String(delta?.id ?? ''),
          name: String(delta?.function?.name ?? ''),
          arguments: '',
        },
      };
      this.calls.set(index, open);
      const item = functionCallItem(open.id, open.call, 'in_progress');
      this.items.push(item);
      out += this.event('response.output_item.added', {
        output_index: outputIndex,
        item,
      });
    }
    const args = delta?.function?.arguments;
    if (typeof args === 'string' && args) {
      open.call.arguments += args;
      out += this.event('response.function_call_arguments.delta', {
        item_id: open.id,
        output_index: open.outputIndex,
        delta: args,
      });
    }
    return out;
  }

  private closeCalls(): string {
    let out = '';
    for (const open of this.calls.values()) {
      const item = functionCallItem(open.id, open.call, this.closingStatus());
      this.items[open.outputIndex] = item;
      out +=
        this.event('response.function_call_arguments.done', {
          item_id: open.id,
          output_index: open.outputIndex,
          name: open.call.name,
          arguments: open.call.arguments,
        }) +
        this.event('response.output_item.done', {
          output_index: open.outputIndex,
          item,
        });
    }
    this.calls.clear();
    return out;
  }
}
