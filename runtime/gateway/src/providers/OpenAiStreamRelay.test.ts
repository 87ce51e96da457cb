import { OpenAiStreamRelay } from './OpenAiStreamRelay';
import { UpstreamAnswerError } from './upstreamAnswer';

const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}],"usage":null}\n\n`;
const usageChunk =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';

describe('OpenAiStreamRelay', () => {
  const stream = `${chunk('Hello')}${chunk(
    ' world',
  )}${usageChunk}data: [DONE]\n\n`;

  it('finds usage across chunk boundaries and forwards it when asked', () => {
    const relay = new OpenAiStreamRelay(true);
    let out = '';
    for (let i = 0; i < stream.length; i += 13)
      out += relay.push(stream.slice(i, i + 13));
    out += relay.end();
    expect(out).toBe(stream);
    expect(relay.usage).toEqual({ inputTokens: 5, outputTokens: 2 });
  });

  it('drops the usage chunk for callers that did not ask for it', () => {
    const relay = new OpenAiStreamRelay(false);
    const out = relay.push(stream) + relay.end();
    expect(out).not.toContain('prompt_tokens');
    expect(out).not.toContain('"usage"');
    expect(out).toContain('[DONE]');
    expect(relay.usage).toEqual({ inputTokens: 5, outputTokens: 2 });
  });

  it('keeps the generated text for the tokenizer when no usage comes', () => {
    const relay = new OpenAiStreamRelay(false);
    relay.push(`${chunk('Hello')}${chunk(' world')}data: [DONE]\n\n`);
    expect(relay.usage).toBeUndefined();
    expect(relay.generatedText()).toBe('Hello world');
  });

  it('keeps the generated text of a stream of many megabytes, data lines spaced or not', () => {
    const relay = new OpenAiStreamRelay(false);
    const words = 40_000;
    for (let i = 0; i < words; i++) {
      const event = chunk(' word');
      relay.push(i % 2 ? event : event.replace('data: ', 'data:'));
    }
    relay.push(`${chunk('.')}data: [DONE]\n\n`);
    const text = relay.generatedText();
    expect(text.split(' word').length - 1).toBe(words);
    expect(text.length).toBe(words * ' word'.length + 1);
  });

  it('cuts off an upstream that streams more output than any answer holds', () => {
    const relay = new OpenAiStreamRelay(false);
    const mebibyte = 'a'.repeat(1024 * 1024);
    // The first MiB of events is kept whole, the text after it: 17 MiB of text is too much.
    let taken = 0;
    expect(() => {
      for (let i = 1; i <= 30; i++) {
        relay.push(chunk(mebibyte));
        relay.throwIfBroken();
        taken = i;
      }
    }).toThrow(/more than \d+ characters of output/);
    expect(taken).toBe(17);
  });
});

describe('OpenAiStreamRelay with upstreams that frame or send oddly', () => {
  it('fails a stream whose error event comes with its [DONE] in one read: the answer is not complete', () => {
    const relay = new OpenAiStreamRelay(true);
    relay.push(chunk('Hello'));
    expect(() =>
      relay.push(
        'data: {"error":{"message":"overloaded","type":"server_error"}}\n\ndata: [DONE]\n\n',
      ),
    ).toThrow(UpstreamAnswerError);
    // What the adapter asks before it lets a broken connection pass as the end of an answer.
    expect(relay.complete).toBe(false);
    expect(() => relay.end()).toThrow(UpstreamAnswerError);
  });

  it.each([
    ['apart', ['data: [DONE]\n\n', `${chunk('AFTER')}${usageChunk}`]],
    [
      'in the same read, after the other spelling of [DONE]',
      [`data:[DONE]\n\n${chunk('AFTER')}${usageChunk}data: [DONE]\n\n`],
    ],
  ])(
    'ends the stream at its first [DONE]: what follows (%s) is neither relayed nor counted',
    (_how, ending) => {
      const relay = new OpenAiStreamRelay(true);
      let out = relay.push(chunk('Hello'));
      for (const read of ending) out += relay.push(read);
      out += relay.end();
      expect(out).not.toContain('AFTER');
      expect(out.match(/\[DONE\]/g)).toHaveLength(1);
      expect(relay.usage).toBeUndefined();
      expect(relay.generatedText()).toBe('Hello');
    },
  );

  it('relays CRLF-framed events as soon as each is complete, as LF', () => {
    const relay = new OpenAiStreamRelay(true);
    const crlf = (event: string) => event.replace(/\n/g, '\r\n');
    expect(relay.push(crlf(chunk('a')))).toBe(chunk('a'));
    // A CRLF split across reads: its CR ends the event at once, and the LF after it is no
    // blank line of its own.
    const second = crlf(chunk('b'));
    expect(relay.push(second.slice(0, -1))).toBe(chunk('b'));
    expect(relay.push(second.slice(-1))).toBe('');
    expect(relay.push('data: [DONE]\r\n\r\n') + relay.end()).toBe(
      'data: [DONE]\n\n',
    );
  });

  it("relays CR-framed events when each is complete, not at the upstream's next write", () => {
    const relay = new OpenAiStreamRelay(true);
    const cr = (event: string) => event.replace(/\n/g, '\r');
    expect(relay.push(cr(chunk('a')))).toBe(chunk('a'));
    expect(relay.push(cr(chunk('b')))).toBe(chunk('b'));
    expect(relay.push('data: [DONE]\r\r') + relay.end()).toBe(
      'data: [DONE]\n\n',
    );
  });

  it('relays the same LF events however CR, CRLF or LF framing is split across reads', () => {
    const lf = `${chunk('a')}${chunk('b')}data: [DONE]\n\n`;
    for (const framed of [
      lf,
      lf.replace(/\n/g, '\r'),
      lf.replace(/\n/g, '\r\n'),
    ]) {
      for (let cut = 0; cut <= framed.length; cut++) {
        const relay = new OpenAiStreamRelay(true);
        const out =
          relay.push(framed.slice(0, cut)) +
          relay.push(framed.slice(cut)) +
          relay.end();
        expect(out).toBe(lf);
      }
    }
  });

  it('takes a usage chunk whose choices are null, as some OpenAI-compatible servers send it', () => {
    const relay = new OpenAiStreamRelay(true);
    const usage =
      'data: {"choices":null,"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';
    expect(relay.push(`${chunk('a')}${usage}data: [DONE]\n\n`)).toContain(
      '"choices":null',
    );
    expect(relay.usage).toEqual({ inputTokens: 5, outputTokens: 2 });
  });

  it.each([
    ['its [DONE]', 'data: [DONE]'],
    [
      'its finish reason',
      'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n',
    ],
  ])(
    'ends the last event when the upstream ended the stream inside it, after %s',
    (_what, last) => {
      const relay = new OpenAiStreamRelay(true);
      const out = relay.push(`${chunk('a')}${last}`) + relay.end();
      // A client following SSE drops an event the stream ends in the middle of.
      expect(out).toBe(`${chunk('a')}${last.trimEnd()}\n\n`);
    },
  );

  it('adds nothing when the last event was ended, [DONE] or not', () => {
    const relay = new OpenAiStreamRelay(true);
    const finished =
      'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
    expect(relay.push(`${chunk('a')}${finished}`) + relay.end()).toBe(
      `${chunk('a')}${finished}`,
    );
  });

  it('takes a stream that starts with a byte order mark, as SSE allows', () => {
    const relay = new OpenAiStreamRelay(true);
    expect(relay.push(`\ufeff${chunk('a')}`)).toBe(chunk('a'));
  });

  it('takes comments, event names, ids and data without a space', () => {
    const relay = new OpenAiStreamRelay(true);
    const text = `: keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata:{"a":1}\n\nid: data:{x}\ndata: {"b":"data: {"}\n\n`;
    expect(relay.push(text)).toBe(text);
  });

  it.each([
    ['text that is not SSE', 'hello world\n\n'],
    ['a data line that is not a JSON object', 'data: hello\n\n'],
    ['HTML after a good event', `${chunk('a')}<html>\n\n`],
    ['an event that looks like JSON but is not', 'data: {oops}\n\n'],
    ['two objects on one line', `${chunk('a')}data: {"a":1}{"b":2}\n\n`],
  ])('throws an UpstreamAnswerError on %s', (_what, text) => {
    const relay = new OpenAiStreamRelay(false);
    expect(() => relay.push(text)).toThrow(UpstreamAnswerError);
  });

  it.each([
    ['an error event', 'data: {"error":{"type":"server_error"}}\n\n'],
    ['a line that is not SSE', '<html>\n\n'],
    ['an event that is not JSON', 'data: {oops}\n\n'],
  ])(
    'forwards the good events read together with %s once the caller has events, then fails',
    (_what, bad) => {
      const relay = new OpenAiStreamRelay(true);
      expect(relay.push(chunk('partial '))).toBe(chunk('partial '));
      expect(relay.push(`${chunk('text ')}${chunk('more')}${bad}`)).toBe(
        `${chunk('text ')}${chunk('more')}`,
      );
      expect(relay.generatedText()).toBe('partial text more');
      expect(() => relay.throwIfBroken()).toThrow(UpstreamAnswerError);
      expect(() => relay.end()).toThrow(UpstreamAnswerError);
    },
  );

  it('fails a first read whole, good events and all, so that another upstream serves it', () => {
    const relay = new OpenAiStreamRelay(false);
    expect(() =>
      relay.push(`${chunk('a')}data: {"error":{"type":"server_error"}}\n\n`),
    ).toThrow(/mid-stream/);
  });

  it('throws on a garbage line before its event is complete, and on a garbage tail', () => {
    expect(() => new OpenAiStreamRelay(false).push('<html>\n<body>')).toThrow(
      /not SSE/,
    );
    const relay = new OpenAiStreamRelay(false);
    relay.push(chunk('a'));
    relay.push('garbage');
    expect(() => relay.end()).toThrow(/not SSE/);
    const cut = new OpenAiStreamRelay(false);
    cut.push(chunk('a'));
    cut.push('data: {"choices":[{"delta":{}}');
    expect(() => cut.end()).toThrow(/not JSON/);
  });
});
