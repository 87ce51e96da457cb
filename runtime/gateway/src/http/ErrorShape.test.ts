import {
  ANTHROPIC_ERRORS,
  OPENAI_ERRORS,
  RESPONSES_ERRORS,
} from './ErrorShape';
import { GatewayError } from './GatewayError';

const broken = new GatewayError(
  502,
  'upstream_stream_broken',
  'the upstream stream ended abruptly',
  'upstream-error',
);

/** The JSON of an SSE event's data line. */
function dataOf(event: string): unknown {
  return JSON.parse(event.split('data: ')[1]);
}

describe('ErrorShape stream events', () => {
  it('numbers the Responses error event with the sequence it is given', () => {
    const event = RESPONSES_ERRORS.streamEvent(broken, 7);
    expect(event).toMatch(/^event: error\ndata: .*\n\n$/);
    expect(dataOf(event)).toEqual({
      type: 'error',
      sequence_number: 7,
      code: 'upstream_stream_broken',
      message: 'the upstream stream ended abruptly',
      param: null,
    });
  });

  it('numbers a Responses error event that is the first event 0', () => {
    expect(dataOf(RESPONSES_ERRORS.streamEvent(broken))).toMatchObject({
      sequence_number: 0,
    });
  });

  // Their events carry no numbers: a sequence must not leak into their shapes.
  it.each([
    ['chat', OPENAI_ERRORS],
    ['Messages', ANTHROPIC_ERRORS],
  ])('leaves the %s error event unnumbered', (_api, shape) => {
    expect(dataOf(shape.streamEvent(broken, 7))).not.toHaveProperty(
      'sequence_number',
    );
  });
});
