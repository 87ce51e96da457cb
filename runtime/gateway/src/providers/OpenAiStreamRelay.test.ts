import { OpenAiStreamRelay } from './OpenAiStreamRelay';

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
});
