import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { testState } from '../__testUtils__/fixtures';
import { summarizeChatRequest } from '../router/chatRequest';
import { TokenCounter } from '../usage/TokenCounter';
import { ChatEndpoint } from './ChatEndpoint';
import { chargedUsage } from './chargedUsage';
import type { Exchange } from './Exchange';
import type { GatewayDeps } from './GatewayDeps';

describe('chargedUsage', () => {
  const endpoint = new ChatEndpoint({
    tokens: new TokenCounter(),
  } as unknown as GatewayDeps);
  const profile = testState('http://127.0.0.1:1').modelProfiles.find(
    p => p.id === 'eu-small',
  ) as GatewayModelProfile;
  const body = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hello' }],
    max_tokens: 10,
  };
  const request = summarizeChatRequest(body);
  const exchange = {
    life: { record: { routeInput: endpoint.routing(request) } },
    request,
  } as unknown as Exchange<typeof request>;
  const charged = (output: number, written: string) =>
    chargedUsage(
      endpoint,
      exchange,
      profile,
      { inputTokens: 20, outputTokens: output },
      () => written,
    );

  it('keeps a count past max_tokens that the upstream wrote, as it is: no bound applied', () => {
    // An upstream that ignored max_tokens: 50 tokens are within the 400 bytes it wrote.
    const { usage, counted } = charged(50, 'x'.repeat(400));
    expect(usage).toBe(counted);
    expect(usage.outputTokens).toBe(50);
  });

  describe("without the upstream's count", () => {
    const estimated = (fields: object, written: string) => {
      const asked = summarizeChatRequest({ ...body, ...fields });
      return chargedUsage(
        endpoint,
        {
          life: { record: { routeInput: endpoint.routing(asked) } },
          request: asked,
        } as unknown as Exchange<typeof asked>,
        profile,
        undefined,
        () => written,
      );
    };

    it('charges no more than was reserved where our tokenizer alone counts past it', () => {
      // 128 choices of one token each to the upstream's vocabulary: o200k counts each word as
      // three tokens, and the lines between them too (511 in all).
      const { usage, counted } = estimated(
        { n: 128, max_tokens: 1 },
        Array(128).fill('zxqv').join('\n'),
      );
      expect(counted.outputTokens).toBeGreaterThan(400);
      expect(usage.outputTokens).toBe(128);
    });

    it('charges what an upstream that ignored max_tokens evidently wrote', () => {
      const { usage } = estimated({ max_tokens: 10 }, ' word'.repeat(200));
      expect(usage.outputTokens).toBe(200);
    });
  });

  it('cuts a count beyond a token a byte of what was written, or of the prompt', () => {
    const { usage, counted } = charged(2_000_000_000, 'x'.repeat(400));
    expect(usage).not.toBe(counted);
    expect(usage.outputTokens).toBe(400);
    expect(
      chargedUsage(
        endpoint,
        exchange,
        profile,
        { inputTokens: 2_000_000_000, outputTokens: 5 },
        () => 'hi',
      ).usage.inputTokens,
    ).toBe(Buffer.byteLength(JSON.stringify(body)));
  });
});
