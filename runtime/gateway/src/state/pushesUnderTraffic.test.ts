/**
 * A push lands between requests, never inside one: a key it revokes is refused by the very
 * next request on every endpoint; a stream or a JSON request already at its upstream finishes
 * on the state it started with though its tenant, key and profile are gone; and requests of
 * every endpoint racing pushes that add and remove all of them get an answer or a 401, never a
 * 500. A gateway in process against the simulator, pushed through its control API
 * (`stateAcrossPushes.test.ts` holds whole states per request and key removal for chat).
 */
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { pushState } from '../__testUtils__/gatewayCalls';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

/** One request per inference API (Messages with either header) and the model list, as `key`. */
function everyEndpoint(url: string, key: string) {
  const bearer = { authorization: `Bearer ${key}` };
  const post = (
    path: string,
    body: object,
    headers: Record<string, string> = bearer,
  ) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const chat = {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 8,
  };
  return {
    chat: () => post('/v1/chat/completions', chat),
    chatStream: () => post('/v1/chat/completions', { ...chat, stream: true }),
    responses: () =>
      post('/v1/responses', {
        model: 'gpt-4o',
        input: 'hi',
        max_output_tokens: 16,
      }),
    messagesBearer: () => post('/v1/messages', chat),
    messagesXApiKey: () => post('/v1/messages', chat, { 'x-api-key': key }),
    embeddings: () =>
      post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }),
    models: () => fetch(`${url}/v1/models`, { headers: bearer }),
  };
}

/** The status of each call, made one after another, each answer read to its end. */
async function statusesOf(calls: Record<string, () => Promise<Response>>) {
  const statuses: Record<string, number> = {};
  for (const [name, call] of Object.entries(calls)) {
    const response = await call();
    await response.text();
    statuses[name] = response.status;
  }
  return statuses;
}

describe('pushes under traffic', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;
  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url));
  });
  afterEach(() => {
    simulator.faults.clear();
    simulator.stats.reset();
    gateway.deps.state.apply(testState(simulator.url, 'v1'));
    events.events.length = 0;
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  /** A state without Northwind at all: its tenant, keys, agent and EU profiles are gone. */
  const withoutNorthwind = (version: string) => {
    const state = testState(simulator.url, version);
    state.tenants = state.tenants.filter(t => t.id !== 'northwind');
    state.apiKeys = state.apiKeys.filter(k => k.tenant !== 'northwind');
    state.agents = [];
    state.modelProfiles = state.modelProfiles.filter(
      p => !p.id.startsWith('eu-'),
    );
    return state;
  };

  it('refuses a key a push revoked with 401 on every endpoint, from the very next request', async () => {
    const calls = everyEndpoint(url, KEYS.northwind);
    const all = (status: number) =>
      Object.fromEntries(Object.keys(calls).map(name => [name, status]));
    expect(await statusesOf(calls)).toEqual(all(200));
    const revoked = testState(simulator.url, 'v-revoked');
    revoked.apiKeys = revoked.apiKeys.filter(k => k.prefix !== 'cp-test-nort');
    expect((await pushState(url, revoked)).status).toBe(200);
    expect(await statusesOf(calls)).toEqual(all(401));
  });

  it('lets a stream under way finish on the state it started with when its tenant, key and profile are removed', async () => {
    simulator.catalog.update('eu-large-model', { tokensPerSecond: 40 });
    try {
      const response = await postChat(url, {
        model: 'eu-large',
        messages: [{ role: 'user', content: 'tell me a story' }],
        max_tokens: 40,
        stream: true,
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value, { stream: true });
      expect((await pushState(url, withoutNorthwind('v-gone'))).status).toBe(
        200,
      );
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect({
        done: text.includes('data: [DONE]'),
        error: text.includes('"error"'),
      }).toEqual({ done: true, error: false });
      await eventually(() => events.usage().length === 1);
      const usage = events.usage()[0] as UsageEvent;
      expect({
        status: usage.status,
        stateVersion: usage.stateVersion,
        profile: usage.modelProfile,
      }).toEqual({ status: 200, stateVersion: 'v1', profile: 'eu-large' });
    } finally {
      simulator.catalog.update('eu-large-model', { tokensPerSecond: 0 });
    }
  });

  it('lets a JSON request waiting on its upstream finish when its tenant, key and profile are removed, and refuses the next', async () => {
    // Long enough that the push lands while the upstream holds the request.
    simulator.faults.add({
      mode: 'slow',
      extraLatencyMs: 2_000,
      model: 'eu-large-model',
      retryAfterSeconds: 1,
    });
    const ask = () =>
      postChat(url, {
        model: 'eu-large',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
      });
    const pending = ask();
    await eventually(() => simulator.stats.snapshot().requests === 1);
    expect((await pushState(url, withoutNorthwind('v-gone2'))).status).toBe(
      200,
    );
    const response = await pending;
    const body = await response.text();
    expect({ status: response.status, body: body.slice(0, 200) }).toEqual({
      status: 200,
      body: expect.stringContaining('chat.completion'),
    });
    const next = await ask();
    await next.text();
    expect(next.status).toBe(401);
  });

  // Before: a push was validated and compiled in one go, a second or two at the maxima
  // (`maxState.test.ts`) in which no request of any tenant was answered.
  it('answers requests while a large push is validated and compiled, on the state in force', async () => {
    const large = testState(simulator.url, 'v-large');
    for (let i = 0; i < 5_000; i++) {
      large.tenants.push({ ...large.tenants[1], id: `tenant-${i}` });
    }
    for (let i = 0; i < 20_000; i++) {
      large.apiKeys.push({
        sha256: hashApiKey(`k-${i}`),
        prefix: 'cp-large',
        tenant: `tenant-${i % 5_000}`,
      });
    }
    // From the moment the control API hands the parsed document to the store.
    const store = gateway.deps.state;
    let compiling = false;
    const apply = store.apply;
    const push = store.push;
    store.apply = document => {
      compiling = true;
      return apply.call(store, document);
    };
    store.push = document => {
      compiling = true;
      return push.call(store, document);
    };
    try {
      let answered = false;
      const pushed = pushState(url, large).then(async response => {
        answered = true;
        return { status: response.status, body: await response.json() };
      });
      const duringCompile: Array<{ status: number; version: string }> = [];
      while (!answered) {
        // Sent once the store had the document, and answered before the push: in between.
        const sentDuringCompile = compiling;
        const response = await postChat(url, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 8,
        });
        await response.text();
        if (sentDuringCompile && !answered) {
          // Written before the answer ended: this request's.
          const usage = events.usage().at(-1) as UsageEvent;
          duringCompile.push({
            status: response.status,
            version: usage.stateVersion,
          });
        }
      }
      expect(await pushed).toEqual({
        status: 200,
        body: { version: 'v-large', changed: true },
      });
      expect(duringCompile.length).toBeGreaterThan(0);
      expect(
        duringCompile.filter(
          answer => answer.status !== 200 || answer.version !== 'v1',
        ),
      ).toEqual([]);
    } finally {
      store.apply = apply;
      store.push = push;
    }
  });

  it('never answers 500 to requests of every endpoint racing 30 pushes that add and remove their key, tenant and profiles', async () => {
    const answers: Array<Promise<[number, string]>> = [];
    const pushes: number[] = [];
    const calls = Object.values(everyEndpoint(url, KEYS.northwind));
    for (let i = 0; i < 30; i++) {
      const state =
        i % 2
          ? withoutNorthwind(`v-gone-${i}`)
          : testState(simulator.url, `v-back-${i}`);
      const pushed = pushState(url, state).then(r => {
        pushes.push(r.status);
        return r.text();
      });
      for (const call of calls) {
        answers.push(
          call().then(async r => [r.status, (await r.text()).slice(0, 200)]),
        );
      }
      await pushed;
    }
    const odd = (await Promise.all(answers)).filter(
      ([status]) => status !== 200 && status !== 401,
    );
    expect(pushes.filter(s => s !== 200)).toEqual([]);
    expect(odd).toEqual([]);
  });
});
