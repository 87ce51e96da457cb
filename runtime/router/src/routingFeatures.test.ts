import { routingFeaturesSchema } from '@cellport/plugin-platform-common';
import { compileState } from './CompiledState';
import { testState } from './__testUtils__/testState';
import { StaticUpstreams } from './StaticUpstreams';
import { decideRoute, RouteInput } from './decideRoute';
import { replayInput, routingFeaturesOf } from './routingFeatures';

describe('routing features', () => {
  const state = compileState(testState());
  const input: RouteInput = {
    state,
    principal: {
      tenant: state.tenants.get('northwind')!,
      agent: state.agents.get('nw-assistant')!,
    },
    modelType: 'chat',
    requestedModel: 'auto',
    classification: 'CONFIDENTIAL',
    requiredCapabilities: ['tools'],
    estimatedInputTokens: 1200,
    promptTokenBound: 4800,
    promptImages: 1,
    maxOutputTokens: 300,
    choices: 2,
    complexity: 0.42,
    remainingBudgetUsd: 3.5,
  };

  it('records what the decision was made from, valid under the event contract', () => {
    const features = routingFeaturesOf(input);
    expect(routingFeaturesSchema.parse(features)).toEqual({
      featuresVersion: 1,
      modelType: 'chat',
      requestedModel: 'auto',
      agent: 'nw-assistant',
      classification: 'CONFIDENTIAL',
      requiredCapabilities: ['tools'],
      estimatedInputTokens: 1200,
      promptTokenBound: 4800,
      promptImages: 1,
      maxOutputTokens: 300,
      choices: 2,
      complexity: 0.42,
      remainingBudgetUsd: 3.5,
    });
  });

  it('re-derives the recorded decision from the recorded features', () => {
    const recorded = decideRoute(input, StaticUpstreams.calm);
    // Through JSON, as the features travel to the portal and back out of its database.
    const features = JSON.parse(JSON.stringify(routingFeaturesOf(input)));
    const replay = replayInput(state, 'northwind', features);
    if (!('input' in replay)) throw new Error(replay.unroutable);
    expect(replay.missing).toEqual([]);
    expect(decideRoute(replay.input, StaticUpstreams.calm)).toEqual(recorded);
  });

  it('replays a decision recorded before features with what it has, naming what is missing', () => {
    const replay = replayInput(state, 'northwind', {
      requestedModel: 'gpt-4o',
      agent: 'nw-assistant',
      requiredCapabilities: [],
      estimatedInputTokens: 90,
      complexity: 0.3,
    });
    if (!('input' in replay)) throw new Error(replay.unroutable);
    expect(replay.missing).toEqual([
      'modelType',
      'classification',
      'promptTokenBound',
      'maxOutputTokens',
      'choices',
      'remainingBudgetUsd',
    ]);
    // The tenant's own highest class stands in for the request's.
    expect(replay.input.classification).toBe('INTERNAL');
    expect(decideRoute(replay.input, StaticUpstreams.calm).attempts[0].id).toBe(
      'eu-large',
    );
  });

  it('cannot route a decision whose tenant or agent the state no longer has', () => {
    expect(
      replayInput(state, 'gone', {
        requestedModel: 'auto',
        requiredCapabilities: [],
        estimatedInputTokens: 1,
        complexity: 0,
      }),
    ).toEqual({ unroutable: 'tenant gone is not in the state' });
    expect(
      replayInput(state, 'northwind', {
        requestedModel: 'auto',
        agent: 'retired',
        requiredCapabilities: [],
        estimatedInputTokens: 1,
        complexity: 0,
      }),
    ).toEqual({ unroutable: 'agent retired is not in the state' });
  });
});
