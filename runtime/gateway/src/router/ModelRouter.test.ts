import { compileState } from '../state/CompiledState';
import { testState } from '../__testUtils__/fixtures';
import { UpstreamHealth } from '../upstream/UpstreamHealth';
import { ModelRouter, RouteInput } from './ModelRouter';
import { RouteRefusal } from './routeRefusal';

// The decision's own tests are @cellport/router's; these check the gateway's side of it.
describe('ModelRouter', () => {
  const state = compileState(testState('http://127.0.0.1:1'));
  const input = (overrides: Partial<RouteInput> = {}): RouteInput => ({
    state,
    principal: { tenant: state.tenants.get('northwind')!, keyPrefix: 'x' },
    modelType: 'chat',
    requestedModel: 'auto',
    classification: 'INTERNAL',
    requiredCapabilities: [],
    estimatedInputTokens: 100,
    maxOutputTokens: 100,
    complexity: 0.5,
    ...overrides,
  });

  it('decides under the live health of its upstreams', () => {
    const health = new UpstreamHealth({
      failureThreshold: 1,
      openMs: 60_000,
      now: () => 0,
    });
    health.get('eu-large').breaker.onFailure();
    const plan = new ModelRouter(health).route(input());
    expect(
      plan.candidates.find(c => c.modelProfile === 'eu-large')?.dropReason,
    ).toBe('circuit-open');
  });

  it('throws a refusal as the gateway error the caller gets, with the candidates', () => {
    const router = new ModelRouter(new UpstreamHealth());
    let caught: unknown;
    try {
      router.route(
        input({ requestedModel: 'gpt-4o', classification: 'RESTRICTED' }),
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RouteRefusal);
    expect(caught).toMatchObject({
      status: 403,
      code: 'classification_not_allowed',
      errorClass: 'forbidden',
      options: { param: 'model' },
      candidates: expect.arrayContaining([
        expect.objectContaining({ dropReason: 'classification' }),
      ]),
    });
    // The decision of a refusal shows what its route was made under, as a served one does.
    expect(caught).toMatchObject({
      policy: 'balanced',
      requiredCapabilities: [],
    });
    const document = testState('http://127.0.0.1:1');
    document.agents[0].requiredCapabilities = ['vision'];
    const withAgent = compileState(document);
    let agentRefusal: unknown;
    try {
      router.route(
        input({
          state: withAgent,
          principal: {
            tenant: withAgent.tenants.get('northwind')!,
            agent: withAgent.agents.get('nw-assistant')!,
            keyPrefix: 'x',
          },
          classification: 'RESTRICTED',
        }),
      );
    } catch (error) {
      agentRefusal = error;
    }
    expect(agentRefusal).toMatchObject({
      status: 403,
      policy: 'quality',
      requiredCapabilities: ['vision'],
    });
    // Refusals are cheap: no stack trace is captured.
    expect((caught as Error).stack?.split('\n').length).toBe(1);
    expect(() => router.route(input({ requestedModel: 'nope' }))).toThrow(
      expect.objectContaining({ status: 404, code: 'model_not_found' }),
    );
  });
});
