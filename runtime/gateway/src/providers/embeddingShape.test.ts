import { embeddingsProblem } from './embeddingShape';

describe('embeddingsProblem', () => {
  const item = (index: number) => ({
    object: 'embedding',
    index,
    embedding: [0.5],
  });

  it.each([
    ['no embedding for one input', [], 'hello'],
    ['one embedding for two inputs', [item(0)], ['a', 'b']],
    ['one embedding for two token-id arrays', [item(0)], [[1], [2]]],
    ['no embedding for one token-id array', [], [1, 2, 3]],
  ])('refuses %s', (_what, items, input) => {
    expect(embeddingsProblem(items, input)).toEqual(expect.any(String));
  });

  it.each([
    ['one embedding for one input', [item(0)], 'hello'],
    ['two embeddings for two inputs', [item(0), item(1)], ['a', 'b']],
    ['one embedding for one token-id array', [item(0)], [1, 2, 3]],
    // The simulator embeds a single token-id array id by id.
    [
      'three embeddings for one token-id array',
      [item(0), item(1), item(2)],
      [1, 2, 3],
    ],
  ])('takes %s', (_what, items, input) => {
    expect(embeddingsProblem(items, input)).toBeUndefined();
  });
});
