import { findTooDeepNesting } from './jsonNesting';

const nested = (levels: number, inner = '1') =>
  `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
const scan = (text: string, maxDepth = 64) =>
  findTooDeepNesting(Buffer.from(text), maxDepth);

describe('findTooDeepNesting', () => {
  it('takes nesting up to the limit and refuses one level more', () => {
    expect(scan(nested(64))).toBeUndefined();
    expect(scan(nested(65))).toEqual({ field: '' });
    expect(scan(`{"a":${nested(63)}}`)).toBeUndefined();
    expect(scan(`{"a":${nested(64)}}`)).toEqual({ field: 'a' });
  });

  it('names the top-level key that holds the deep value, not a nested one', () => {
    const body = `{"model":"m","messages":[{"role":"user","content":${nested(
      100,
    )}}],"tools":[]}`;
    expect(scan(body)).toEqual({ field: 'messages' });
    expect(scan(`{"a":1, "b" : {"c":${nested(100)}}}`)).toEqual({ field: 'b' });
  });

  it('ignores brackets and escaped quotes inside strings', () => {
    const brackets = '['.repeat(1000);
    expect(scan(`{"text":"${brackets}"}`)).toBeUndefined();
    expect(scan(`{"text":"\\"${brackets}\\\\","x":"]]]"}`)).toBeUndefined();
    // An escaped backslash before the quote ends the string: what follows is structure.
    expect(scan(`{"t":"a\\\\","deep":${nested(100)}}`)).toEqual({
      field: 'deep',
    });
    expect(scan(`{"k\\"ey":${nested(100)}}`)).toEqual({ field: 'k"ey' });
  });

  it('leaves malformed JSON to the parser', () => {
    expect(scan(`{"unterminated: ${nested(100)}`)).toBeUndefined();
  });

  it('scans a megabyte of text in a few milliseconds', () => {
    const body = Buffer.from(
      JSON.stringify({
        messages: Array.from({ length: 1000 }, (_, i) => ({
          role: 'user',
          content: `message ${i} ${'lorem ipsum '.repeat(80)}`,
        })),
      }),
    );
    expect(body.length).toBeGreaterThan(900_000);
    expect(findTooDeepNesting(body)).toBeUndefined();
  });
});
