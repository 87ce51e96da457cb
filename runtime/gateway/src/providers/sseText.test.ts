import { chunkEventsProblem, StreamProgress } from './sseText';

describe('chunkEventsProblem', () => {
  const choice =
    'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n';
  const finish =
    'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
  const usage =
    'data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n';
  const done = 'data: [DONE]\n\n';
  const fresh = (): StreamProgress => ({ chunks: 0, finished: false });

  it.each([
    ['chunks without choices', 'data: {"id":"c1"}\n\n'],
    ['chunks with empty choices', 'data: {"id":"c1","choices":[]}\n\n'],
    ['chunks with null choices', 'data: {"id":"c1","choices":null}\n\n'],
    ['a usage chunk alone', usage],
  ])('refuses [DONE] after %s only: no answer came', (_what, chunks) => {
    expect(chunkEventsProblem(`${chunks}${chunks}${done}`, fresh())).toEqual(
      expect.any(String),
    );
  });

  it('refuses [DONE] after such chunks read apart from it', () => {
    const progress = fresh();
    expect(chunkEventsProblem(usage, progress)).toBeUndefined();
    expect(chunkEventsProblem(done, progress)).toEqual(expect.any(String));
  });

  it('takes an answer, then its usage chunk with empty choices, then [DONE]', () => {
    const progress = fresh();
    expect(
      chunkEventsProblem(`${choice}${finish}${usage}${done}`, progress),
    ).toBeUndefined();
    expect(progress).toEqual({ chunks: 2, finished: true });
  });
});
