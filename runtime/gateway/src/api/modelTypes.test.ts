import OpenAI from 'openai';
import type { SimulatorServer } from '@cellport/simulator';
import type {
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** Chat and embeddings profiles each serve only their own endpoint (OpenAI client, simulator). */
describe('model types', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;
  const client = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    simulator.stats.reset();
    events.events.length = 0;
  });

  it('answers 400 in OpenAI shape, naming the model, for an embeddings model on chat', async () => {
    // The agent's key has chat fallbacks; they must not answer for a wrong model either.
    for (const key of [KEYS.northwind, KEYS.northwindAgent]) {
      const error = await client(key)
        .chat.completions.create({
          model: 'text-embedding-3-small',
          messages: [{ role: 'user', content: 'x' }],
        })
        .catch(e => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.error).toEqual({
        message:
          'model "text-embedding-3-small" cannot serve this endpoint ' +
          '(eu-embed: an embeddings model; this endpoint serves chat models)',
        type: 'invalid_request_error',
        param: 'model',
        code: 'wrong_model_type',
      });
    }
    expect(simulator.stats.snapshot().requests).toBe(0);
    const decision = events.decisions()[0] as RoutingDecision;
    expect(decision.candidates).toEqual([
      expect.objectContaining({
        modelProfile: 'eu-embed',
        kept: false,
        dropReason: 'wrong-model-type',
      }),
    ]);
    expect((events.usage()[0] as UsageEvent).errorClass).toBe(
      'invalid-request',
    );
  });

  it('answers 400 for a chat model on embeddings', async () => {
    const error = await client(KEYS.northwind)
      .embeddings.create({ model: 'gpt-4o', input: 'x' })
      .catch(e => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({
      param: 'model',
      code: 'wrong_model_type',
      message: expect.stringMatching(
        /^model "gpt-4o" cannot serve this endpoint \(eu-large: a chat model; this endpoint serves embeddings models\)/,
      ),
    });
  });

  it('routes auto on embeddings to an embeddings profile, and on chat to a chat one', async () => {
    const embeddings = await client(KEYS.northwindAgent).embeddings.create({
      model: 'auto',
      input: 'route me',
    });
    expect(embeddings.data).toHaveLength(1);
    await client(KEYS.northwind).chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'route me' }],
      max_tokens: 5,
    });
    expect(events.decisions().map(d => (d as RoutingDecision).chosen)).toEqual([
      'eu-embed',
      expect.stringMatching(/^eu-(large|small)$/),
    ]);
  });

  it('lists each model with its type', async () => {
    const models = new Map<string, unknown>();
    for await (const model of client(KEYS.northwind).models.list())
      models.set(model.id, model);
    expect(models.get('text-embedding-3-small')).toEqual({
      id: 'text-embedding-3-small',
      object: 'model',
      created: 0,
      owned_by: 'simulator',
      'x-cellport': { type: 'embeddings' },
    });
    expect(models.get('gpt-4o')).toMatchObject({
      object: 'model',
      'x-cellport': { type: 'chat' },
    });
    expect(models.get('auto')).toEqual({
      id: 'auto',
      object: 'model',
      created: 0,
      owned_by: 'cellport',
    });
  });
});
