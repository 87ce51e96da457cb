import { fail } from './fieldChecks';

/**
 * The rule OpenAI and Anthropic share for tool turns: the calls an assistant message makes
 * are each answered right after it (tool messages in chat, `tool_result` blocks of the next
 * user message in Anthropic's Messages), in any order, and an answer answers an open call.
 * Fed the messages in order, then `end` after the last. An upstream would refuse a broken
 * sequence anyway, in its own words, after the reservation and, behind a translation, naming
 * fields the caller never sent: this names the caller's own field first.
 */
export class ToolTurns {
  /** The calls of the last assistant message not answered yet; undefined once another turn came. */
  private open: { ids: Set<string>; param: string } | undefined;

  /** An assistant message with calls, named `param` in a refusal (`messages.1.tool_calls`). */
  calls(ids: string[], param: string): void {
    this.end();
    this.open = ids.length ? { ids: new Set(ids), param } : undefined;
  }

  /** An answer to call `id`: `param` is its id's field, `turnParam` the answer itself. */
  answer(id: string, param: string, turnParam: string): void {
    if (!this.open) {
      fail(
        turnParam,
        'answers no open tool call: answers come right after the assistant message that made the calls',
      );
    }
    if (!this.open.ids.delete(id)) {
      const shown = id.slice(0, 64);
      fail(
        param,
        `"${shown}" is not among the unanswered calls of the assistant message before it`,
      );
    }
  }

  /** Any other message: the calls before it must all have had their answers. */
  other(): void {
    this.end();
    this.open = undefined;
  }

  end(): void {
    if (!this.open || this.open.ids.size === 0) return;
    const ids = [...this.open.ids];
    const named = ids.slice(0, 5).map(id => `"${id.slice(0, 64)}"`);
    const more = ids.length > 5 ? ` and ${ids.length - 5} more` : '';
    fail(
      this.open.param,
      `has calls with no answer right after it: ${named.join(', ')}${more}`,
    );
  }
}
