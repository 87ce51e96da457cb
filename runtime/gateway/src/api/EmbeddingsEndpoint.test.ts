import { RequestRecord } from '../events/RequestRecord';
import { TokenCounter } from '../usage/TokenCounter';
import { EmbeddingsEndpoint } from './EmbeddingsEndpoint';
import type { GatewayDeps } from './GatewayDeps';

const deps = { tokens: new TokenCounter() } as unknown as GatewayDeps;
const record = () =>
  new RequestRecord('req-1', 0, {
    gateway: 'gw',
    cell: 'cell',
    tenant: 'tenant',
    stateVersion: 'v1',
  });

describe('EmbeddingsEndpoint', () => {
  const endpoint = new EmbeddingsEndpoint(deps);
  const body = { model: 'text-embedding-3-small', input: ['abcd', 'efgh'] };
  const raw = Buffer.from(JSON.stringify(body));

  it('estimates the input from its texts and routes to embeddings profiles only', () => {
    const seen = record();
    const request = endpoint.parse(body, raw, seen);
    // Four characters a token, plus one per input.
    expect(seen.estimatedInputTokens).toBe(4);
    expect(seen.stream).toBe(false);
    expect(endpoint.routing(request)).toMatchObject({
      modelType: 'embeddings',
      requestedModel: 'text-embedding-3-small',
      requiredCapabilities: [],
      estimatedInputTokens: 4,
      maxOutputTokens: 0,
      complexity: 0,
    });
    expect(endpoint.cacheable()).toBe(false);
  });

  it('counts token ids as one token each, whatever their digits, and takes one array longer than 2,048 ids', () => {
    const parsed = (input: unknown) => {
      const tokens = { model: 'text-embedding-3-small', input };
      const seen = record();
      const request = endpoint.parse(
        tokens,
        Buffer.from(JSON.stringify(tokens)),
        seen,
      );
      return {
        estimated: seen.estimatedInputTokens,
        bound: endpoint.routing(request).promptTokenBound,
      };
    };
    // 100,000 six-digit ids are 100,000 tokens (sized as text, 175,001: refused by a
    // 128K context they fit); 130,000 one-digit ids are 130,000 (as text, 65,001).
    // Bounded with two special tokens an input (BOS, EOS).
    expect(parsed([Array(100_000).fill(199_999)])).toEqual({
      estimated: 100_000,
      bound: 100_002,
    });
    expect(parsed([Array(130_000).fill(1), [7]])).toEqual({
      estimated: 130_001,
      bound: 130_005,
    });
    // One token array is one input, as long as the model's context: 2,048 is the most inputs.
    expect(parsed(Array(8_000).fill(42))).toEqual({
      estimated: 8_000,
      bound: 8_002,
    });
    expect(() => parsed(Array(2_049).fill('text'))).toThrow(
      /array of 1 to 2048 non-empty strings/,
    );
    expect(() => parsed(Array(2_049).fill([1]))).toThrow(
      /array of 1 to 2048 non-empty token-id arrays/,
    );
  });

  it('charges input tokens only, whatever the upstream reports', () => {
    expect(
      endpoint.reportedCharge({ inputTokens: 7, outputTokens: 3 }),
    ).toEqual({ inputTokens: 7, outputTokens: 0 });
    expect(endpoint.countOutput()).toBe(0);
  });
});
