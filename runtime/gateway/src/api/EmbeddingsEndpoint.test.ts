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

  it('charges input tokens only, whatever the upstream reports', () => {
    expect(
      endpoint.reportedCharge({ inputTokens: 7, outputTokens: 3 }),
    ).toEqual({ inputTokens: 7, outputTokens: 0 });
    expect(endpoint.countOutput()).toBe(0);
  });
});
