import {
  routingCandidateSchema,
  type GatewayAgent,
} from '@cellport/plugin-platform-common';
import { compileState } from './CompiledState';
import { testState } from './__testUtils__/testState';
import { StaticUpstreams } from './StaticUpstreams';
import type { UpstreamConditions } from './UpstreamConditions';
import {
  decideRoute,
  RouteInput,
  RoutePlan,
  RoutingCaller as Principal,
} from './decideRoute';

/** The router as the gateway calls it: a refusal is thrown, as the gateway answers it. */
function routerWith(upstreams: UpstreamConditions = StaticUpstreams.calm) {
  return {
    route(routeInput: RouteInput): RoutePlan {
      const plan = decideRoute(routeInput, upstreams);
      if (plan.refusal) {
        throw Object.assign(new Error(plan.refusal.message), plan.refusal);
      }
      return plan;
    },
  };
}

describe('decideRoute', () => {
  const state = compileState(testState());
  const northwind: Principal = {
    tenant: state.tenants.get('northwind')!,
  };
  const agent: Principal = {
    ...northwind,
    agent: state.agents.get('nw-assistant')!,
  };
  /** nw-assistant with some fields changed, compiled as a pushed state would be. */
  const agentWith = (changes: Partial<GatewayAgent>): Principal => {
    const document = testState();
    Object.assign(document.agents[0], changes);
    return {
      ...northwind,
      agent: compileState(document).agents.get('nw-assistant')!,
    };
  };
  const input = (overrides: Partial<RouteInput> = {}): RouteInput => ({
    state,
    principal: northwind,
    modelType: 'chat',
    requestedModel: 'gpt-4o',
    classification: 'INTERNAL',
    requiredCapabilities: [],
    estimatedInputTokens: 100,
    maxOutputTokens: 100,
    complexity: 0.5,
    ...overrides,
  });

  /** A request of tenant northwind on `document`, compiled as a pushed state would be. */
  const routeAsNorthwind = (
    document: ReturnType<typeof testState>,
    overrides: Partial<RouteInput> = {},
  ) => {
    const compiled = compileState(document);
    return decideRoute(
      input({
        state: compiled,
        principal: { tenant: compiled.tenants.get('northwind')! },
        ...overrides,
      }),
      StaticUpstreams.calm,
    );
  };

  it('keeps or drops every candidate with a reason', () => {
    const plan = routerWith().route(input({ principal: agent }));
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

  it('keeps a residency refusal within what a RoutingDecision holds, whatever the tenant allows', () => {
    const document = testState();
    const tenant = document.tenants.find(t => t.id === 'northwind')!;
    tenant.residencyRegions = Array.from(
      { length: 200 },
      (_, i) => `eu-${'west'.repeat(14)}-${i}`,
    );
    const plan = routeAsNorthwind(document);
    const refused = plan.candidates.find(c => c.dropReason === 'residency');
    expect(refused?.detail).toMatch(/ and 19\d more$/);
    for (const candidate of plan.candidates) {
      expect(routingCandidateSchema.safeParse(candidate).error).toBeUndefined();
    }
  });

  it('drops for classification, capability, context and per-run budget', () => {
    const router = routerWith();
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
    const capped = agentWith({ maxCostPerRunUsd: 0.0005 });
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

  it('says when a budget refusal can be tried again: next month, in a minute while requests in flight hold part of it, never for the per-run cap', () => {
    const refusal = (overrides: Partial<RouteInput>) =>
      decideRoute(
        input({
          requestedModel: 'auto',
          nowMs: Date.UTC(2026, 11, 31, 23, 0),
          ...overrides,
        }),
        StaticUpstreams.calm,
      ).refusal;
    const spent = refusal({ remainingBudgetUsd: 0 });
    expect(spent).toMatchObject({
      status: 429,
      code: 'budget_exhausted',
      options: { retryAfterSeconds: 3600 },
    });
    expect(spent?.message).toContain('above the budget left');
    // Requests in flight hold part of the budget: it may be back once they settle.
    const held = refusal({
      remainingBudgetUsd: 0.000001,
      budgetHeldInFlight: true,
    });
    expect(held).toMatchObject({
      status: 429,
      code: 'budget_exhausted',
      options: { retryAfterSeconds: 60 },
    });
    expect(held?.message).toContain(
      'requests in flight hold part of it until they settle',
    );
    // A little left and nothing in flight: spent, for this request, until next month.
    expect(
      refusal({ remainingBudgetUsd: 0.000001 })?.options.retryAfterSeconds,
    ).toBe(3600);
    const capped = refusal({
      principal: agentWith({ maxCostPerRunUsd: 0.0000001 }),
    });
    // Never retried as it is: 400, naming the output limit a lower value of which may fit.
    expect(capped).toMatchObject({
      status: 400,
      code: 'cost_above_run_cap',
      errorClass: 'budget-exhausted',
      options: { param: 'max_tokens' },
    });
    expect(capped?.options.retryAfterSeconds).toBeUndefined();
    expect(capped?.message).toContain("above the agent's per-run cap $1e-7");
    expect(capped?.message).toContain('a smaller request may fit (max_tokens)');
    // eu-large over the cap, eu-small only over the budget left: eu-small serves next month.
    const mixed = refusal({
      principal: agentWith({ maxCostPerRunUsd: 0.001 }),
      remainingBudgetUsd: 0,
    });
    expect(mixed?.candidates.map(c => c.detail)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('per-run cap'),
        expect.stringContaining('budget left'),
      ]),
    );
    expect(mixed?.options.retryAfterSeconds).toBe(3600);
  });

  it("refuses a request that does not fit the context naming the prompt, or the output limit that overflows it, in the caller's API's words", () => {
    const refusal = (overrides: Partial<RouteInput>) =>
      decideRoute(input(overrides), StaticUpstreams.calm).refusal;
    // 128,000-token contexts, 4,096 output tokens at most.
    expect(refusal({ estimatedInputTokens: 130_000 })).toMatchObject({
      reason: 'context-too-long',
      status: 400,
      code: 'context_length_exceeded',
      options: { param: 'messages' },
    });
    expect(
      refusal({ estimatedInputTokens: 125_000, maxOutputTokens: 8_000 }),
    ).toMatchObject({ options: { param: 'max_tokens' } });
    const responses = { prompt: 'input', maxOutputTokens: 'max_output_tokens' };
    expect(
      refusal({
        estimatedInputTokens: 125_000,
        maxOutputTokens: 8_000,
        fields: responses,
      })?.options.param,
    ).toBe('max_output_tokens');
    expect(
      refusal({
        estimatedInputTokens: 130_000,
        maxOutputTokens: 8_000,
        fields: responses,
      })?.options.param,
    ).toBe('input');
    // An ask above the profile's output limit is capped as the upstream is asked: it fits.
    expect(
      refusal({ estimatedInputTokens: 120_000, maxOutputTokens: 999_999 }),
    ).toBeUndefined();
  });

  it('ranks by policy: cost prefers the cheap model, quality the frontier one', () => {
    const router = routerWith();
    const auto = (policy: 'cost' | 'quality', complexity = 0.5) =>
      router
        .route(
          input({
            principal: agentWith({ policy, preferredModels: [] }),
            requestedModel: 'auto',
            complexity,
          }),
        )
        .attempts.map(p => p.id);
    expect(auto('cost')[0]).toBe('eu-small');
    expect(auto('quality')[0]).toBe('eu-large');
  });

  it('reserves the tool-use prompt an Anthropic profile adds to a request offering tools, which its body does not hold', () => {
    const brightpath: Principal = { tenant: state.tenants.get('brightpath')! };
    const plan = (requiredCapabilities: RouteInput['requiredCapabilities']) =>
      routerWith().route(
        input({
          principal: brightpath,
          requestedModel: 'claude-haiku',
          classification: 'PUBLIC',
          promptTokenBound: 153,
          maxOutputTokens: 1,
          requiredCapabilities,
        }),
      );
    const plain = plan([]);
    const withTools = plan(['tools']);
    expect(withTools.maxTokens - plain.maxTokens).toBe(530);
    expect(withTools.maxCostUsd - plain.maxCostUsd).toBeCloseTo(
      (530 * 0.8) / 1e6,
      12,
    );
    // Anthropic's own count for such a request (Claude 3.5 Haiku, tool choice auto: 153
    // bytes of body, 346 tokens of tool prompt): inside the reservation.
    expect(withTools.maxTokens).toBeGreaterThanOrEqual(153 + 346 + 1);
  });

  it('drops an Anthropic profile for n > 1, which it would answer with one choice', () => {
    const brightpath: Principal = { tenant: state.tenants.get('brightpath')! };
    const plan = routerWith().route(
      input({
        principal: brightpath,
        requestedModel: 'auto',
        classification: 'PUBLIC',
        choices: 2,
      }),
    );
    expect(
      plan.candidates.find(c => c.modelProfile === 'claude'),
    ).toMatchObject({
      kept: false,
      dropReason: 'missing-capability',
      detail: 'answers one completion, not n=2',
    });
    expect(plan.attempts.map(p => p.id)).not.toContain('claude');
    expect(() =>
      routerWith().route(
        input({
          principal: brightpath,
          requestedModel: 'claude-haiku',
          classification: 'PUBLIC',
          choices: 2,
        }),
      ),
    ).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('answers one completion, not n=2'),
        options: { param: 'n' },
      }),
    );
    const one = routerWith().route(
      input({
        principal: brightpath,
        requestedModel: 'claude-haiku',
        classification: 'PUBLIC',
      }),
    );
    expect(one.attempts.map(p => p.id)).toEqual(['claude']);
  });

  it("routes an agent's auto among the tenant's models when the agent prefers none the tenant may use", () => {
    const stranger = routerWith().route(
      input({
        principal: agentWith({
          preferredModels: ['claude'],
          fallbackChain: [],
        }),
        requestedModel: 'auto',
      }),
    );
    expect(stranger.attempts.length).toBeGreaterThan(0);
    expect(
      stranger.candidates.filter(c => c.kept).map(c => c.modelProfile),
    ).not.toContain('claude');
  });

  it('balances by complexity: simple requests go cheap, complex ones to quality', () => {
    const router = routerWith();
    const first = (complexity: number) =>
      router.route(input({ requestedModel: 'auto', complexity })).attempts[0]
        .id;
    expect(first(0.05)).toBe('eu-small');
    expect(first(0.95)).toBe('eu-large');
  });

  it('drops upstreams whose circuit is open, and ranks slow ones lower', () => {
    // eu-large's circuit opened after upstream failures.
    const plan = routerWith(new StaticUpstreams(['eu-large'])).route(
      input({ requestedModel: 'auto' }),
    );
    expect(
      plan.candidates.find(c => c.modelProfile === 'eu-large')?.dropReason,
    ).toBe('circuit-open');
  });

  it('refuses with 404 for unknown models and for models outside the allowlist alike, naming no profile', () => {
    const router = routerWith();
    expect(() => router.route(input({ requestedModel: 'nope' }))).toThrow(
      expect.objectContaining({ status: 404 }),
    );
    const refusal = decideRoute(
      input({ requestedModel: 'claude-haiku' }),
      StaticUpstreams.calm,
    ).refusal;
    expect(refusal).toMatchObject({
      status: 404,
      code: 'model_not_found',
      candidates: [],
    });
    expect(refusal?.message).not.toContain('claude"');
  });

  it("never names another tenant's private profile, even one sharing a public alias", () => {
    const document = testState();
    document.modelProfiles.push({
      ...document.modelProfiles.find(p => p.id === 'eu-large')!,
      id: 'globex-private',
    });
    document.tenants
      .find(t => t.id !== 'northwind')!
      .allowedModels.push('globex-private');
    const plan = routeAsNorthwind(document);
    expect(plan.attempts.length).toBeGreaterThan(0);
    expect(plan.candidates.map(c => c.modelProfile)).not.toContain(
      'globex-private',
    );
    // Asked for by its id, it does not exist for this tenant.
    expect(
      routeAsNorthwind(document, { requestedModel: 'globex-private' }).refusal,
    ).toMatchObject({ status: 404, candidates: [] });
  });

  it("never names another tenant's private profile in a hand-made agent's fallback chain", () => {
    const document = testState();
    document.modelProfiles.push({
      ...document.modelProfiles.find(p => p.id === 'eu-large')!,
      id: 'globex-secret',
      alias: 'globex-secret',
    });
    document.tenants
      .find(t => t.id !== 'northwind')!
      .allowedModels.push('globex-secret');
    document.agents[0].fallbackChain.unshift('globex-secret');
    const shared = compileState(document);
    const principal = {
      tenant: shared.tenants.get('northwind')!,
      agent: shared.agents.get('nw-assistant')!,
    };
    const plan = decideRoute(
      input({ state: shared, principal }),
      StaticUpstreams.calm,
    );
    expect(plan.attempts.length).toBeGreaterThan(0);
    // Before, it was a candidate dropped as not allowed: the decision named it.
    expect(plan.candidates.map(c => c.modelProfile)).not.toContain(
      'globex-secret',
    );
    // With no other candidate, the refusal does not name it either.
    const onlyTheSecret = decideRoute(
      input({
        state: shared,
        principal,
        requestedModel: 'auto',
        modelType: 'embeddings',
      }),
      StaticUpstreams.calm,
    );
    expect(JSON.stringify(onlyTheSecret)).not.toContain('globex-secret');
  });

  it('reserves the most expensive attempt', () => {
    const plan = routerWith().route(input({ principal: agent }));
    // eu-large: 100 in × $2.5/M + 100 out × $10/M.
    expect(plan.maxCostUsd).toBeCloseTo((100 * 2.5 + 100 * 10) / 1e6, 12);
  });

  it("reserves each prompt image at the profile's own count when it is above the default allowance", () => {
    // Images count 3,000 tokens each in the bound; eu-large bills one at up to 48,169.
    const document = testState();
    document.modelProfiles.find(p => p.id === 'eu-large')!.imageTokens = 48_169;
    const priced = compileState(document);
    const route = (images: number, imageState = priced) =>
      routerWith().route(
        input({
          state: imageState,
          principal: { tenant: imageState.tenants.get('northwind')! },
          requestedModel: 'eu-large',
          promptTokenBound: 100 + images * 3_000,
          promptImages: images,
        }),
      );
    const twoImages = 100 + 2 * 48_169;
    expect(route(2).maxCostUsd).toBeCloseTo(
      (twoImages * 2.5 + 100 * 10) / 1e6,
      12,
    );
    expect(route(2).maxTokens).toBe(twoImages + 100);
    // Without images, or at a profile within the allowance, the bound is what it was.
    expect(route(0).maxTokens).toBe(200);
    expect(route(2, state).maxTokens).toBe(100 + 2 * 3_000 + 100);
  });

  describe('model types', () => {
    const router = routerWith();

    it('routes embeddings only to embeddings profiles, dropping the rest with a reason', () => {
      const plan = router.route(
        input({
          principal: agent,
          modelType: 'embeddings',
          requestedModel: 'text-embedding-3-small',
        }),
      );
      expect(plan.attempts.map(p => p.id)).toEqual(['eu-embed']);
      // The agent's fallback chain holds chat models: candidates, dropped.
      expect(plan.candidates).toEqual([
        expect.objectContaining({ modelProfile: 'eu-embed', kept: true }),
        expect.objectContaining({
          modelProfile: 'eu-small',
          kept: false,
          dropReason: 'wrong-model-type',
          detail: 'a chat model; this endpoint serves embeddings models',
        }),
        expect.objectContaining({
          modelProfile: 'us-large',
          dropReason: 'wrong-model-type',
        }),
      ]);
    });

    it('chooses among the profiles of the endpoint type for auto', () => {
      const embeddings = router.route(
        input({ modelType: 'embeddings', requestedModel: 'auto' }),
      );
      expect(embeddings.candidates.map(c => c.modelProfile)).toEqual([
        'eu-embed',
      ]);
      // nw-assistant prefers only chat models: for embeddings it gets its tenant's.
      expect(
        router
          .route(
            input({
              principal: agent,
              modelType: 'embeddings',
              requestedModel: 'auto',
            }),
          )
          .attempts.map(p => p.id),
      ).toEqual(['eu-embed']);
      const chat = router.route(input({ requestedModel: 'auto' }));
      expect(chat.candidates.map(c => c.modelProfile)).not.toContain(
        'eu-embed',
      );
    });

    it('refuses auto with 404 when the key may use no profile of the endpoint type, not as an outage', () => {
      const brightpath: Principal = {
        tenant: state.tenants.get('brightpath')!,
      };
      expect(() =>
        router.route(
          input({
            principal: brightpath,
            modelType: 'embeddings',
            requestedModel: 'auto',
          }),
        ),
      ).toThrow(
        expect.objectContaining({
          status: 404,
          code: 'model_not_found',
          errorClass: 'not-found',
        }),
      );
    });

    it('refuses a model of the other type with 400 naming it, even with fallbacks left', () => {
      const refuse = (modelType: 'chat' | 'embeddings', model: string) => {
        try {
          router.route(
            input({ principal: agent, modelType, requestedModel: model }),
          );
        } catch (error) {
          return error;
        }
        throw new Error(`${model} was routed`);
      };
      expect(refuse('chat', 'text-embedding-3-small')).toMatchObject({
        status: 400,
        code: 'wrong_model_type',
        errorClass: 'invalid-request',
        options: { param: 'model' },
        message:
          'model "text-embedding-3-small" cannot serve this endpoint ' +
          '(eu-embed: an embeddings model; this endpoint serves chat models)',
        candidates: [
          expect.objectContaining({ dropReason: 'wrong-model-type' }),
        ],
      });
      expect(refuse('embeddings', 'gpt-4o')).toMatchObject({
        status: 400,
        code: 'wrong_model_type',
        message: expect.stringContaining('model "gpt-4o"'),
      });
    });
  });

  it('ranks primaries by score whatever their number, fallbacks after them in order', () => {
    const document = testState();
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...document.modelProfiles[0],
      id: `many-${i}`,
      alias: 'many',
      // Prices in no order, several equal.
      inputPerMillionUsd: 1 + ((i * 7) % 13),
    }));
    document.modelProfiles.push(...many);
    document.tenants[0].allowedModels.push(...many.map(p => p.id));
    document.agents[0].preferredModels = [];
    document.agents[0].policy = 'cost';
    const compiled = compileState(document);
    const plan = routerWith().route(
      input({
        state: compiled,
        principal: {
          tenant: compiled.tenants.get('northwind')!,
          agent: compiled.agents.get('nw-assistant')!,
        },
        requestedModel: 'many',
      }),
    );
    const kept = plan.candidates
      .filter(c => c.kept)
      .sort((a, b) => a.rank! - b.rank!);
    const primaries = kept.slice(0, 40);
    const index = (c: { modelProfile: string }) =>
      Number(c.modelProfile.slice('many-'.length));
    // Best score first; equal scores in the order the profiles were considered in.
    const outOfOrder = primaries.filter((c, k) => {
      const previous = primaries[k - 1];
      return (
        previous !== undefined &&
        (previous.score! < c.score! ||
          (previous.score === c.score && index(previous) > index(c)))
      );
    });
    expect(outOfOrder).toEqual([]);
    expect(new Set(primaries.map(c => c.score)).size).toBeLessThan(40);
    expect(kept.slice(40).map(c => c.modelProfile)).toEqual(['eu-small']);
  });
});

describe('decideRoute as a pure function', () => {
  const state = compileState(testState());
  const tenant = state.tenants.get('northwind')!;
  const base: RouteInput = {
    state,
    principal: { tenant },
    modelType: 'chat',
    requestedModel: 'auto',
    classification: 'INTERNAL',
    requiredCapabilities: [],
    estimatedInputTokens: 100,
    maxOutputTokens: 100,
    complexity: 0.5,
  };

  it('returns a refusal with its reason instead of throwing', () => {
    const plan = decideRoute(
      { ...base, classification: 'RESTRICTED' },
      StaticUpstreams.calm,
    );
    expect(plan.attempts).toEqual([]);
    expect(plan.refusal).toMatchObject({
      reason: 'classification',
      status: 403,
      code: 'classification_not_allowed',
    });
    expect(
      decideRoute({ ...base, requestedModel: 'nope' }, StaticUpstreams.calm)
        .refusal,
    ).toMatchObject({ reason: 'model-not-found', status: 404 });
  });

  it('gives the same answer for the same input, whatever ran before', () => {
    const first = decideRoute(base, StaticUpstreams.calm);
    decideRoute(
      { ...base, requestedModel: 'gpt-4o', complexity: 1 },
      new StaticUpstreams(['eu-small']),
    );
    expect(decideRoute(base, StaticUpstreams.calm)).toEqual(first);
  });

  it('ranks a slow or busy upstream lower', () => {
    const quick = { refusesCalls: () => false };
    const conditions = (slow: string): UpstreamConditions => ({
      get: id => ({
        latencyMs: id === slow ? 3000 : 300,
        inFlight: id === slow ? 50 : 0,
        breaker: quick,
      }),
    });
    // At complexity 0.6 the two profiles score within the penalties of each other.
    const first = (slow: string) =>
      decideRoute({ ...base, complexity: 0.6 }, conditions(slow)).attempts[0]
        .id;
    expect(first('eu-large')).toBe('eu-small');
    expect(first('eu-small')).toBe('eu-large');
  });
});
