import {
  anthropicStop,
  parseArguments,
} from '../../providers/anthropicTranslation';
import type { TokenUsage } from '../../providers/types';
import type { Json } from '../fieldChecks';
import { firstChoice, type ChatStreamTranslator } from '../translatedAnswer';
import { messageUsage } from './messagesAnswer';

/** Content that waits for the open block to close: Anthropic's blocks never overlap. */
type Queued =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; id: string; name: string; args: string };

/**
 * Turns a chat completion's chunks into Anthropic's stream: message_start, a content block
 * per text run or tool call (start, deltas, stop), message_delta with the stop reason and
 * usage, message_stop. A chat stream reports usage only at its end, so message_start counts
 * no tokens and message_delta carries both input and output tokens (Anthropic's SDKs take
 * both from it).
 *
 * Anthropic's blocks come one after another: started, given their deltas, stopped. A chat
 * stream may interleave parallel tool calls, and a call's arguments are only known complete
 * when the answer finishes, so a tool block stays open until then: what comes for another
 * tool call (or text) meanwhile is queued, and each queued item follows as a whole block once
 * the open one stops. A stream that never interleaves streams its text live.
 *
 * A tool call's arguments are sent whole, as one delta when its block stops: a model may
 * write arguments that are not JSON (or not an object), which Anthropic never streams and its
 * SDKs cannot parse, so they go as the JSON answer gives them (`parseArguments`).
 */
export class MessagesStreamTranslator implements ChatStreamTranslator {
  private started = false;
  private blocks = 0;
  /**
   * The open block's index, if one is open, and the tool call it holds (none: text) with its
   * arguments so far.
   */
  private open?: { index: number; tool?: number; args: string };
  /** Items for after the open tool block, in arrival order. */
  private queue: Queued[] = [];
  /** Queued tool calls by the chat chunk's tool-call index. */
  private readonly queuedTools = new Map<number, Queued & { kind: 'tool' }>();
  private finish: unknown;
  /** The stop string the upstream says ended the answer (a choice's `stop_reason`). */
  private matched: unknown;
  /** The upstream refused: Anthropic's `refusal` stop, whatever the finish reason. */
  private refused = false;

  constructor(private readonly id: string) {}

  chunk(chunk: Json): string {
    let out = this.started ? '' : this.start(chunk);
    const choice = firstChoice(chunk.choices);
    // Once the answer finished, its blocks are closed: later content has no block to go in.
    if (!choice || this.finish !== undefined) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.refusal === 'string' && delta.refusal) this.refused = true;
    const text = delta.content || delta.refusal;
    if (typeof text === 'string' && text) out += this.textDelta(text);
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) out += this.toolDelta(call);
    }
    if (choice.finish_reason) {
      this.finish = choice.finish_reason;
      this.matched = choice.stop_reason;
      out += this.closeAll();
    }
    return out;
  }

  end(usage: TokenUsage): string {
    const out = (this.started ? '' : this.start({})) + this.closeAll();
    return (
      out +
      this.event('message_delta', {
        delta: this.refused
          ? { stop_reason: 'refusal', stop_sequence: null }
          : anthropicStop(this.finish, this.matched),
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

  private textDelta(text: string): string {
    if (this.open?.tool !== undefined) {
      const last = this.queue[this.queue.length - 1];
      if (last?.kind === 'text') last.text += text;
      else this.queue.push({ kind: 'text', text });
      return '';
    }
    const out = this.open ? '' : this.openBlock({ type: 'text', text: '' });
    return (
      out +
      this.event('content_block_delta', {
        index: this.open!.index,
        delta: { type: 'text_delta', text },
      })
    );
  }

  private toolDelta(call: Json): string {
    const toolIndex = Number(call?.index ?? 0);
    const args = call?.function?.arguments;
    const argsText = typeof args === 'string' ? args : '';
    if (this.open?.tool === toolIndex) {
      this.open.args += argsText;
      return '';
    }
    const queued = this.queuedTools.get(toolIndex);
    if (queued) {
      queued.args += argsText;
      return '';
    }
    const id = String(call?.id ?? '');
    const name = String(call?.function?.name ?? '');
    if (this.open?.tool !== undefined) {
      const item = { kind: 'tool' as const, id, name, args: argsText };
      this.queue.push(item);
      this.queuedTools.set(toolIndex, item);
      return '';
    }
    const out =
      this.close() + this.openBlock(this.toolBlock(id, name), toolIndex);
    this.open!.args = argsText;
    return out;
  }

  private toolBlock(id: string, name: string): Json {
    return { type: 'tool_use', id, name, input: {} };
  }

  /** A tool block's arguments, whole; none when the model wrote none. */
  private argsDelta(index: number, args: string): string {
    if (!args) return '';
    return this.event('content_block_delta', {
      index,
      delta: {
        type: 'input_json_delta',
        partial_json: JSON.stringify(parseArguments(args)),
      },
    });
  }

  private openBlock(block: Json, tool?: number): string {
    const index = this.blocks++;
    this.open = { index, tool, args: '' };
    return this.event('content_block_start', { index, content_block: block });
  }

  private close(): string {
    const open = this.open;
    if (!open) return '';
    this.open = undefined;
    const args =
      open.tool === undefined ? '' : this.argsDelta(open.index, open.args);
    return args + this.event('content_block_stop', { index: open.index });
  }

  /** Stops the open block, then writes each queued item as a whole block. */
  private closeAll(): string {
    let out = this.close();
    for (const item of this.queue) {
      if (item.kind === 'text') {
        out += this.openBlock({ type: 'text', text: '' });
        out += this.event('content_block_delta', {
          index: this.open!.index,
          delta: { type: 'text_delta', text: item.text },
        });
      } else {
        out += this.openBlock(this.toolBlock(item.id, item.name));
        out += this.argsDelta(this.open!.index, item.args);
      }
      out += this.close();
    }
    this.queue = [];
    this.queuedTools.clear();
    return out;
  }
}
