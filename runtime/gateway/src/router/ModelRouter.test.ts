import { compileState } from '../state/CompiledState';
import { testState } from '../__testUtils__/fixtures';
import { UpstreamHealth } from '../upstream/UpstreamHealth';
import { ModelRouter, RouteInput } from './ModelRouter';
import type { Principal } from '../auth/ApiKeyAuthenticator';

describe('ModelRouter', () => {
  const state = compileState(testState('http://127.0.0.1:1'));
  const northwind: Principal = {
    tenant: state.tenants.get('northwind')!,
    keyPrefix: 'x',
  };
  const agent: Principal = {
    ...northwind,
    agent: state.agents.get('nw-assistant')!,
  };
  const input = (overrides: Partial<RouteInput> = {}): RouteInput => ({
    state,
    principal: northwind,
    requestedModel: 'gpt-4o',
    classification: 'INTERNAL',
    requiredCapabilities: [],
    estimatedInputTokens: 100,
    maxOutputTokens: 100,
    complexity: 0.5,
    ...overrides,
  });

  it('keeps or drops every candidate with a reason', () => {
    const plan = new ModelRouter(new UpstreamHealth()).route(
      input({ principal: agent }),
    );
    expect(plan.candidates).toEqual([
      expect.objectContaining({
        modelProfile: 'eu-large',
        kept: true,
        rank: 0,
      }),
      expect.objectContaining({
        modelProfile: 'us-large',
        kept: false,
        dropReason: 'residency',
      }),
      expect.objectContaining({
        modelProfile: 'eu-small',
        kept: true,
        rank: 1,
      }),
    ]);
    expect(plan.attempts.map(p => p.id)).toEqual(['eu-large', 'eu-small']);
  });

  it('drops for classification, capability, context and per-run budget', () => {
    const router = new ModelRouter(new UpstreamHealth());
    const confidential = router.route(
      input({ requestedModel: 'auto', classification: 'CONFIDENTIAL' }),
    );
    expect(
      confidential.candidates.find(c => c.modelProfile === 'eu-small')
        ?.dropReason,
    ).toBe('classification');
    expect(() =>
      router.route(
        input({ requestedModel: 'auto', estimatedInputTokens: 200_000 }),
      ),
    ).toThrow(expect.objectContaining({ status: 400 }));
    const capped: Principal = {
      ...agent,
      agent: { ...agent.agent!, maxCostPerRunUsd: 0.0005 },
    };
    const plan = router.route(
      input({
        principal: capped,
        requestedModel: 'auto',
        maxOutputTokens: 100,
      }),
    );
    expect(
      plan.candidates.find(c => c.modelProfile === 'eu-large')?.dropReason,
    ).toBe('budget');
    expect(plan.attempts[0].id).toBe('eu-small');
  });

  it('ranks by policy: cost prefers the cheap model, quality the frontier one', () => {
    const router = new ModelRouter(new UpstreamHealth());
    const auto = (policy: 'cost' | 'quality', complexity = 0.5) =>
      router
        .route(
          input({
            principal: {
              ...agent,
              agent: { ...agent.agent!, policy, preferredModels: [] },
            },
            requestedModel: 'auto',
            complexity,
          }),
        )
        .attempts.map(p => p.id);
    expect(auto('cost')[0]).toBe('eu-small');
    expect(auto('quality')[0]).toBe('eu-large');
  });

  it('balances by complexity: simple requests go cheap, complex ones to quality', () => {
    const router = new ModelRouter(new UpstreamHealth());
    const first = (complexity: number) =>
      router.route(input({ requestedModel: 'auto', complexity })).attempts[0]
        .id;
    expect(first(0.05)).toBe('eu-small');
    expect(first(0.95)).toBe('eu-large');
  });

  it('drops upstreams whose circuit is open, and ranks slow ones lower', () => {
    const health = new UpstreamHealth({
      failureThreshold: 1,
      openMs: 60_000,
      now: () => 0,
    });
    health.get('eu-large').breaker.onFailure();
    const plan = new ModelRouter(health).route(
      input({ requestedModel: 'auto' }),
    );
    expect(
      plan.candidates.find(c => c.modelProfile === 'eu-large')?.dropReason,
    ).toBe('circuit-open');
  });

  it('refuses with 404 for unknown models and 403 for models outside the allowlist', () => {
    const router = new ModelRouter(new UpstreamHealth());
    expect(() => router.route(input({ requestedModel: 'nope' }))).toThrow(
      expect.objectContaining({ status: 404 }),
    );
    expect(() =>
      router.route(input({ requestedModel: 'claude-haiku' })),
    ).toThrow(
      expect.objectContaining({ status: 403, code: 'model_not_allowed' }),
    );
  });

  it('reserves the most expensive attempt', () => {
    const plan = new ModelRouter(new UpstreamHealth()).route(
      input({ principal: agent }),
    );
    // eu-large: 100 in × $2.5/M + 100 out × $10/M.
    expect(plan.maxCostUsd).toBeCloseTo((100 * 2.5 + 100 * 10) / 1e6, 12);
  });
});
