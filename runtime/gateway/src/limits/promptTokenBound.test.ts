import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { parseJsonObject } from '../http/httpIo';
import { toAnthropicRequest } from '../providers/anthropicTranslation';
import { summarizeChatRequest } from '../router/chatRequest';
import { IMAGE_TOKEN_BOUND, reserializedGrowth } from './promptTokenBound';

/** Prompts a tokenizer makes far more of than characters / 4. */
const ADVERSARIAL: Record<string, string> = {
  cjk: '預算必須對任何輸入都成立，無論是哪種文字。'.repeat(60),
  'rare CJK (extension B)': '𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉'.repeat(100),
  arabic: 'يَجِبُ أَنْ تَصْمُدَ المِيزَانِيَّةُ لِأَيِّ مُدْخَلٍ '.repeat(40),
  emoji: '🧨💸👩‍👩‍👧‍👦🏳️‍🌈🫠'.repeat(80),
  'control characters': '\u0000\u0001\u0007\u001b\u007f\u0085'.repeat(300),
  'combining marks': 'Z̴̡̢̧̛͇a̸̢̛͙l̷̨̛͚g̶̢̛͈o̵̡̢̧'.repeat(80),
  'lone surrogates': '\ud800\udfff\udc00'.repeat(400),
};

function body(content: string) {
  return {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content },
    ],
  };
}

/** Prompt tokens as OpenAI counts chat messages: text plus 4 a message, plus 3 to prime the reply. */
function chatTokens(count: (text: string) => number, texts: string[]): number {
  return texts.reduce((sum, text) => sum + count(text) + 4, 3);
}

describe('the prompt token bound', () => {
  it.each(Object.entries(ADVERSARIAL))(
    'holds for %s under o200k and cl100k',
    (_, text) => {
      const request = body(text);
      const raw = Buffer.from(JSON.stringify(request));
      const summary = summarizeChatRequest(parseJsonObject(raw), raw);
      const texts = ['be brief', text];
      for (const count of [o200k, cl100k]) {
        expect(summary.promptTokenBound).toBeGreaterThanOrEqual(
          chatTokens(count, texts),
        );
      }
      // What a byte-level tokenizer without merges would count: the worst any can.
      expect(summary.promptTokenBound).toBeGreaterThanOrEqual(
        Buffer.byteLength(text, 'utf8') + 3 * 2,
      );
    },
  );

  it('counts text outside message content: tool calls, names, tool definitions', () => {
    const cjk = ADVERSARIAL.cjk;
    const request = {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'go', name: cjk },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: {
                name: 'lookup',
                arguments: JSON.stringify({ q: cjk }),
              },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            description: cjk,
            parameters: { type: 'object', properties: {} },
          },
        },
      ],
    };
    const raw = Buffer.from(JSON.stringify(request));
    const summary = summarizeChatRequest(parseJsonObject(raw), raw);
    expect(summary.promptTokenBound).toBeGreaterThanOrEqual(
      3 * Buffer.byteLength(cjk, 'utf8'),
    );
  });

  it('counts a body that is not valid UTF-8 as what is sent on: each bad byte a U+FFFD', () => {
    const raw = Buffer.concat([
      Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"'),
      Buffer.alloc(3000, 0xff),
      Buffer.from('"}]}'),
    ]);
    const request = parseJsonObject(raw);
    const forwarded = Buffer.byteLength(JSON.stringify(request), 'utf8');
    expect(forwarded).toBeGreaterThan(raw.length);
    expect(
      summarizeChatRequest(request, raw).promptTokenBound,
    ).toBeGreaterThanOrEqual(forwarded);
  });

  it('counts numbers as they are sent: written out in full, not in exponent form', () => {
    // JSON.stringify writes them out in full (1e20 as 21 digits), adds a `+` or keeps them.
    const numbers = [
      '1e20',
      '1E+20',
      '-1.2345678901234567e-6',
      '5e-324',
      '1e21',
    ];
    const values = Array.from({ length: 2000 }, (_, i) => numbers[i % 5]);
    const text = JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'pick one' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'pick',
            parameters: {
              type: 'object',
              properties: { x: { type: 'number', enum: 'ENUM' } },
            },
          },
        },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'r', schema: { maximum: 'MAX' } },
      },
    })
      .replace('"ENUM"', `[${values.join(',')}]`)
      .replace('"MAX"', '1e300');
    const raw = Buffer.from(text);
    const request = parseJsonObject(raw);
    const sent = JSON.stringify(request);
    expect(Buffer.byteLength(sent)).toBeGreaterThan(1.5 * raw.length);
    expect(
      summarizeChatRequest(request, raw).promptTokenBound,
    ).toBeGreaterThanOrEqual(Buffer.byteLength(sent));
  });

  it('finds the numbers in exponent form outside strings, whatever the strings escape', () => {
    const growth = (text: string) => reserializedGrowth(Buffer.from(text));
    const one = growth('[1e20]');
    expect(one).toBeGreaterThanOrEqual('100000000000000000000'.length - 4);
    expect(growth('{"a":[true,false,null,0,-1.5,12]}')).toBe(0);
    expect(growth(String.raw`{"a":"1e5 \" 2E5 \\","b":"\\\"3e5"}`)).toBe(0);
    expect(
      growth(String.raw`{"a\\":"\\\\","b":[1E+2,-3.5e-7],"c\"":"x 4e5"}`),
    ).toBe(2 * one);
  });

  it('counts numbers in tool-call arguments as an upstream that reads them as JSON is sent them', () => {
    const args = `{"x":[${Array(1000).fill('1e20').join(',')}]}`;
    const request = {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'pick', arguments: args },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
      ],
    };
    const raw = Buffer.from(JSON.stringify(request));
    const anthropic = JSON.stringify(
      toAnthropicRequest(parseJsonObject(raw), 'claude', 16),
    );
    expect(Buffer.byteLength(anthropic)).toBeGreaterThan(3 * raw.length);
    expect(
      summarizeChatRequest(parseJsonObject(raw), raw).promptTokenBound,
    ).toBeGreaterThanOrEqual(Buffer.byteLength(anthropic));
  });

  it("counts each image as an image's most tokens, not its URL's bytes", () => {
    const dataUrl = `data:image/png;base64,${'A'.repeat(200_000)}`;
    const request = {
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is on these?' },
            { type: 'image_url', image_url: { url: dataUrl } },
            { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
          ],
        },
      ],
    };
    const raw = Buffer.from(JSON.stringify(request));
    const bound = summarizeChatRequest(
      parseJsonObject(raw),
      raw,
    ).promptTokenBound;
    expect(bound).toBeGreaterThanOrEqual(2 * IMAGE_TOKEN_BOUND);
    expect(bound).toBeLessThan(2 * IMAGE_TOKEN_BOUND + 1000);
  });

  it('keeps the realistic estimate (for the context check) apart from the bound', () => {
    const text = ADVERSARIAL['control characters'];
    const raw = Buffer.from(JSON.stringify(body(text)));
    const summary = summarizeChatRequest(parseJsonObject(raw), raw);
    expect(summary.estimatedInputTokens).toBeLessThan(text.length);
    expect(summary.promptTokenBound).toBeGreaterThan(4 * text.length);
  });
});
