import type { SimulatorServer } from '@cellport/simulator';
import {
  RoutingDecision,
  routingDecisionSchema,
} from '@cellport/plugin-platform-common';
import {
  compileState,
  decideRoute,
  replayInput,
  StaticUpstreams,
} from '@cellport/router';
import {
  KEYS,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

describe('the features a RoutingDecision records', () => {
  let simulator: SimulatorServer;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.stop());

  const chat = (url: string, key: string, body: object, headers = {}) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('are what the router decided from, and re-derive the same route outside the gateway', async () => {
    const { gateway, url, events } = await startGateway(simulator.url);
    try {
      const answers = [
        await chat(
          url,
          KEYS.northwindAgent,
          {
            model: 'auto',
            max_tokens: 64,
            n: 2,
            tools: [
              {
                type: 'function',
                function: { name: 'lookup', parameters: {} },
              },
            ],
            messages: [
              {
                role: 'user',
                content:
                  'Analysiere die Rückgabe 🧾 Schritt für Schritt: ```€```',
              },
            ],
          },
          { 'x-cellport-data-classification': 'PUBLIC' },
        ),
        await chat(url, KEYS.northwind, {
          model: 'claude-haiku',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ];
      expect(answers.map(a => a.status)).toEqual([200, 404]);
      const decisions = events.decisions() as RoutingDecision[];
      expect(decisions).toHaveLength(2);
      const [routed, refused] = decisions;
      // The remaining budget is recorded when the limiter knew it; it may not yet have.
      expect(routingDecisionSchema.parse(routed).features).toMatchObject({
        featuresVersion: 1,
        modelType: 'chat',
        requestedModel: 'auto',
        agent: 'nw-assistant',
        classification: 'PUBLIC',
        requiredCapabilities: ['tools'],
        estimatedInputTokens: routed.estimatedInputTokens,
        promptTokenBound: expect.any(Number),
        maxOutputTokens: 64,
        choices: 2,
        complexity: routed.complexityScore,
      });
      expect(routed.features!.promptTokenBound).toBeGreaterThanOrEqual(
        routed.estimatedInputTokens,
      );
      // A refusal records its features too: it can be replayed like any decision.
      expect(refused.features).toMatchObject({
        requestedModel: 'claude-haiku',
        classification: 'INTERNAL',
      });
      expect(refused.features).not.toHaveProperty('agent');

      // The replay's path: the recorded features, through JSON, under the same state.
      const state = compileState(testState(simulator.url));
      for (const decision of decisions) {
        const recorded = JSON.parse(JSON.stringify(decision.features));
        const replay = replayInput(state, decision.tenant, recorded);
        if (!('input' in replay)) throw new Error(replay.unroutable);
        const plan = decideRoute(replay.input, StaticUpstreams.calm);
        expect(plan.candidates).toEqual(decision.candidates);
      }
    } finally {
      await gateway.stop();
    }
  });
  it("of a refusal record the agent's policy and capabilities, as a served one's do", async () => {
    const document = testState(simulator.url);
    document.agents[0].requiredCapabilities = ['vision'];
    const { gateway, url, events } = await startGateway(simulator.url, {
      state: document,
    });
    try {
      const refused = await chat(url, KEYS.northwindAgent, {
        model: 'claude-haiku',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(refused.status).toBe(404);
      const [decision] = events.decisions() as RoutingDecision[];
      expect(decision).toMatchObject({
        outcome: 'rejected',
        policy: 'quality',
        requiredCapabilities: ['vision'],
      });
    } finally {
      await gateway.stop();
    }
  });
});
