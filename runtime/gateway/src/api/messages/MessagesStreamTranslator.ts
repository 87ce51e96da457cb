import { anthropicStopReason } from '../../providers/anthropicTranslation';
import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import type { ChatStreamTranslator } from '../translatedAnswer';
import { messageUsage } from './messagesAnswer';

/**
 * Turns a chat completion's chunks into Anthropic's stream: message_start, a content block
 * per text run or tool call (start, deltas, stop), message_delta with the stop reason and
 * usage, message_stop. A chat stream reports usage only at its end, so message_start counts
 * no tokens and message_delta carries both input and output tokens (Anthropic's SDKs take
 * both from it).
 */
export class MessagesStreamTranslator implements ChatStreamTranslator {
  private started = false;
  private blocks = 0;
  /** The open block's index, if one is open, and whether it holds text. */
  private open?: { index: number; text: boolean };
  /** Content block index by the chat chunk's tool-call index. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: unknown;

  constructor(private readonly id: string) {}

  chunk(chunk: Json): string {
    let out = this.started ? '' : this.start(chunk);
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    const text = delta.content || delta.refusal;
    if (typeof text === 'string' && text) {
      if (!this.open?.text) {
        out += this.close() + this.openBlock(true, { type: 'text', text: '' });
      }
      out += this.event('content_block_delta', {
        index: this.open!.index,
        delta: { type: 'text_delta', text },
      });
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) out += this.toolDelta(call);
    }
    if (choice.finish_reason) {
      this.finish = choice.finish_reason;
      out += this.close();
    }
    return out;
  }

  end(usage: TokenUsage): string {
    const out = (this.started ? '' : this.start({})) + this.close();
    return (
      out +
      this.event('message_delta', {
        delta: {
          stop_reason: anthropicStopReason(this.finish),
          stop_sequence: null,
        },
        usage: messageUsage(usage),
      }) +
      this.event('message_stop', {})
    );
  }

  private event(type: string, fields: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
  }

  private start(chunk: Json): string {
    this.started = true;
    return this.event('message_start', {
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: String(chunk.model ?? ''),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: messageUsage({ inputTokens: 0, outputTokens: 0 }),
      },
    });
  }

  private openBlock(text: boolean, block: Json): string {
    const index = this.blocks++;
    this.open = { index, text };
    return this.event('content_block_start', { index, content_block: block });
  }

  private close(): string {
    const open = this.open;
    if (!open) return '';
    this.open = undefined;
    return this.event('content_block_stop', { index: open.index });
  }

  private toolDelta(call: Json): string {
    const toolIndex = Number(call?.index ?? 0);
    let out = '';
    let index = this.toolBlocks.get(toolIndex);
    if (index === undefined) {
      out += this.close();
      out += this.openBlock(false, {
        type: 'tool_use',
        id: String(call?.id ?? ''),
        name: String(call?.function?.name ?? ''),
        input: {},
      });
      index = this.open!.index;
      this.toolBlocks.set(toolIndex, index);
    }
    const args = call?.function?.arguments;
    if (typeof args === 'string' && args) {
      // Chat upstreams stream one call's arguments after another; should one interleave,
      // its deltas still name their own block.
      out += this.event('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: args },
      });
    }
    return out;
  }
}
