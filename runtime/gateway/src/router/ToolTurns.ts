import { GatewayError } from '../http/GatewayError';

/** A tool call as a refusal names it: its id, and the caller's field that made it. */
export interface ToolCallAt {
  id: string;
  param: string;
}

/** How much of a caller's id a refusal quotes. */
const SHOWN_ID_CHARS = 64;

function fail(param: string, what: string): never {
  throw GatewayError.invalid(`${param} ${what}`, param);
}

/**
 * The rule OpenAI and Anthropic share for tool turns: the calls an assistant turn makes are
 * each answered right after it (tool messages in chat, `tool_result` blocks of the next user
 * turn in Anthropic's Messages), in any order, and an answer answers an open call. Fed the
 * turns in order, then `end` after the last. An upstream would refuse a broken sequence
 * anyway, in its own words, after the reservation and, behind a translation, naming fields
 * the caller never sent: this names the caller's own field first.
 */
export class ToolTurns {
  /** The calls of the last assistant turn not answered yet, by id; undefined once another turn came. */
  private open: Map<string, string> | undefined;

  /** An assistant turn and its calls (none for a turn of text). */
  calls(calls: readonly ToolCallAt[]): void {
    this.end();
    this.open = calls.length
      ? new Map(calls.map(({ id, param }) => [id, param]))
      : undefined;
  }

  /** More calls of the same assistant turn (Anthropic joins consecutive assistant turns). */
  moreCalls(calls: readonly ToolCallAt[]): void {
    for (const { id, param } of calls) {
      this.open ??= new Map();
      this.open.set(id, param);
    }
  }

  /** An answer to call `id`: `param` is its id's field, `turnParam` the answer itself. */
  answer(id: string, param: string, turnParam: string): void {
    if (!this.open) {
      fail(
        turnParam,
        'answers no open tool call: answers come right after the assistant turn that made the calls',
      );
    }
    if (!this.open.delete(id)) {
      fail(
        param,
        `"${id.slice(
          0,
          SHOWN_ID_CHARS,
        )}" is not among the unanswered calls of the assistant turn before it`,
      );
    }
  }

  /** Any other turn: the calls before it must all have had their answers. */
  other(): void {
    this.end();
    this.open = undefined;
  }

  /** After the last turn, or before the next: refuses the first call left unanswered. */
  end(): void {
    if (!this.open || this.open.size === 0) return;
    const [[id, param], ...others] = this.open;
    const also = others.length
      ? ` (nor ${others.length} more of its calls)`
      : '';
    fail(
      param,
      `"${id.slice(
        0,
        SHOWN_ID_CHARS,
      )}" has no answer right after its assistant turn${also}`,
    );
  }
}
