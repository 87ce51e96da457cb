import type { GatewayError } from '../http/GatewayError';
import { ToolTurns } from './ToolTurns';

/** Runs `steps` on a fresh ToolTurns, then `end`: the field the refusal names, or undefined. */
function refusal(steps: (turns: ToolTurns) => void): string | undefined {
  const turns = new ToolTurns();
  try {
    steps(turns);
    turns.end();
    return undefined;
  } catch (error) {
    return (error as GatewayError).options.param;
  }
}

const call = (id: string, param = `call ${id}`) => ({ id, param });
const answer = (turns: ToolTurns, id: string) =>
  turns.answer(id, `answer ${id} id`, `answer ${id}`);

describe('ToolTurns', () => {
  it('takes every call answered after its turn, in any order, and turns without calls', () => {
    expect(
      refusal(turns => {
        turns.other();
        turns.calls([call('a'), call('b'), call('c')]);
        answer(turns, 'c');
        answer(turns, 'a');
        answer(turns, 'b');
        turns.other();
        turns.calls([]);
        turns.other();
      }),
    ).toBeUndefined();
  });

  it('names an answer with no open call, after any other turn or at the start', () => {
    expect(refusal(turns => answer(turns, 'a'))).toBe('answer a');
    expect(
      refusal(turns => {
        turns.calls([call('a')]);
        answer(turns, 'a');
        turns.other();
        answer(turns, 'a');
      }),
    ).toBe('answer a');
    expect(
      refusal(turns => {
        turns.calls([]);
        answer(turns, 'a');
      }),
    ).toBe('answer a');
  });

  it("names an answer's id that is no open call: another turn's, or answered already", () => {
    expect(
      refusal(turns => {
        turns.calls([call('a')]);
        answer(turns, 'b');
      }),
    ).toBe('answer b id');
    expect(
      refusal(turns => {
        turns.calls([call('a'), call('b')]);
        answer(turns, 'a');
        answer(turns, 'a');
      }),
    ).toBe('answer a id');
  });

  it('names the first call left unanswered, at the next turn or at the end', () => {
    expect(
      refusal(turns => {
        turns.calls([call('a'), call('b')]);
        answer(turns, 'a');
        turns.other();
      }),
    ).toBe('call b');
    expect(
      refusal(turns => {
        turns.calls([call('a')]);
        turns.calls([call('b')]);
      }),
    ).toBe('call a');
    expect(refusal(turns => turns.calls([call('a'), call('b')]))).toBe(
      'call a',
    );
  });
});
