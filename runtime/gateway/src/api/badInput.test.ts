import { gzipSync } from 'node:zlib';
import type { SimulatorServer } from '@cellport/simulator';
import type { RoutingDecision } from '@cellport/plugin-platform-common';
import {
  ADMIN_TOKEN,
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers, Redis and NATS: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** Bodies a careless or hostile caller may send; each must get a 4xx naming the problem. */
const BAD_CHAT_BODIES: unknown[] = [
  '',
  'null',
  '[]',
  '"text"',
  '{"model": 5, "messages": [{"role": "user", "content": "x"}]}',
  '{"model": "MODEL"}',
  '{"model": "MODEL", "messages": {}}',
  '{"model": "MODEL", "messages": [null]}',
  '{"model": "MODEL", "messages": [{"role": "wizard", "content": "x"}]}',
  '{"model": "MODEL", "messages": [{"role": "user", "content": 5}]}',
  '{"model": "MODEL", "messages": [{"role": "assistant", "content": "x", "tool_calls": 7}]}',
  '{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
  '{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5}',
  '{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "max_tokens": -3}',
  // More than an event can record: the portal would refuse the batch holding its decision.
  '{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "max_tokens": 3000000000}',
  '{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "tools": "all"}',
  '{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "response_format": "json"}',
];

describe('bad input never yields a 500 or a stack trace', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  let events: RecordingEventSink;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url, events } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  const post = (path: string, body: string, key = KEYS.brightpath) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      },
      body,
    });

  it.each(['gpt-4o-mini', 'claude-haiku'])(
    'chat bodies routed to %s',
    async model => {
      const wrong: string[] = [];
      for (const template of BAD_CHAT_BODIES) {
        const body = String(template).replace('MODEL', model);
        const response = await post('/v1/chat/completions', body);
        const text = await response.text();
        const message = (() => {
          try {
            return JSON.parse(text).error?.message;
          } catch {
            return undefined;
          }
        })();
        if (
          response.status < 400 ||
          response.status >= 500 ||
          typeof message !== 'string' ||
          /\n\s+at /.test(text)
        ) {
          wrong.push(`${response.status} for ${body}: ${text.slice(0, 200)}`);
        }
      }
      // Listing every wrong answer makes a failure say which body caused it.
      expect(wrong).toEqual([]);
    },
  );

  it('embeddings bodies', async () => {
    for (const [body, param] of [
      ['{"model": "text-embedding-3-small"}', 'input'],
      ['{"model": "text-embedding-3-small", "input": []}', 'input'],
      ['{"model": "text-embedding-3-small", "input": [{}]}', 'input'],
      ['{"input": "x"}', 'model'],
      // Longer than an event records: the portal would refuse the batch holding its decision.
      [`{"model": "${'m'.repeat(201)}", "input": "x"}`, 'model'],
      // Integers no token id or vector size can be: refused here, not by the upstream.
      ['{"model": "text-embedding-3-small", "input": [1e300]}', 'input'],
      ['{"model": "text-embedding-3-small", "input": [0, 1e300]}', 'input.1'],
      [
        '{"model": "text-embedding-3-small", "input": [[1, 1e20]]}',
        'input.0.1',
      ],
      [
        '{"model": "text-embedding-3-small", "input": "x", "dimensions": 1e20}',
        'dimensions',
      ],
    ]) {
      const response = await post('/v1/embeddings', body, KEYS.northwind);
      expect({
        body,
        status: response.status,
        param: (await response.json()).error.param,
      }).toEqual({ body, status: 400, param });
    }
  });

  it('refuses a model name the portal could not store, and records the refusal storably', async () => {
    for (const [path, body] of [
      [
        '/v1/chat/completions',
        '{"model": "gpt\\u0000-4o", "messages": [{"role": "user", "content": "x"}]}',
      ],
      ['/v1/responses', '{"model": "gpt-4o-\\udfff", "input": "x"}'],
      ['/v1/embeddings', '{"model": "text-\\u0000embedding", "input": "x"}'],
    ]) {
      const response = await post(path, body, KEYS.northwind);
      expect({
        path,
        status: response.status,
        param: (await response.json()).error.param,
      }).toEqual({
        path,
        status: 400,
        param: 'model',
      });
    }
    // The sink checks every event against the contract the portal stores by.
    const recorded = events
      .decisions()
      .map(d => (d as RoutingDecision).requestedModel);
    expect(recorded).toEqual(
      expect.arrayContaining([
        'gpt\uFFFD-4o',
        'gpt-4o-\uFFFD',
        'text-\uFFFDembedding',
      ]),
    );
  });

  it('names the field the upstream would refuse, and sends no null it checked as absent', async () => {
    // Anthropic takes system prompts apart: system messages alone leave it no turn.
    const systemOnly = await post(
      '/v1/chat/completions',
      '{"model": "claude-haiku", "messages": [{"role": "system", "content": "Be brief."}]}',
    );
    expect(systemOnly.status).toBe(400);
    expect((await systemOnly.json()).error).toMatchObject({
      param: 'messages',
      message: expect.stringContaining('system messages alone'),
    });
    const embeddings = await post(
      '/v1/embeddings',
      '{"model": "text-embedding-3-small", "input": "x", "dimensions": null, "encoding_format": null}',
      KEYS.northwind,
    );
    expect(embeddings.status).toBe(200);
  });

  it('routes a request for logprobs away from a profile whose protocol would drop them', async () => {
    const body = (model: string) =>
      JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'which token is likeliest?' }],
        max_tokens: 8,
        logprobs: true,
        top_logprobs: 2,
      });
    const anthropic = await post('/v1/chat/completions', body('claude-haiku'));
    expect(anthropic.status).toBe(400);
    expect((await anthropic.json()).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'model',
      message: expect.stringContaining('lacks logprobs'),
    });
    const auto = await post('/v1/chat/completions', body('auto'));
    expect(auto.status).toBe(200);
    const decision = events.events.findLast(
      (event): event is RoutingDecision =>
        event.type === 'routing-decision' && event.requestedModel === 'auto',
    )!;
    expect(decision.requiredCapabilities).toContain('logprobs');
    expect(decision.chosen).not.toBe('claude');
    expect(
      decision.candidates.find(c => c.modelProfile === 'claude'),
    ).toMatchObject({ kept: false, dropReason: 'missing-capability' });
  });

  it('routes a request with custom tools, or an earlier custom call, away from a profile whose protocol has none', async () => {
    const customTool = { type: 'custom', custom: { name: 'run_sql' } };
    const bodies = {
      definition: (model: string) => ({
        model,
        messages: [{ role: 'user', content: 'how many rows?' }],
        max_tokens: 8,
        tools: [customTool],
      }),
      'earlier call': (model: string) => ({
        model,
        max_tokens: 8,
        messages: [
          { role: 'user', content: 'how many rows?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'custom',
                custom: { name: 'run_sql', input: 'SELECT count(*) FROM t' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '42' },
        ],
      }),
    };
    for (const [what, body] of Object.entries(bodies)) {
      const anthropic = await post(
        '/v1/chat/completions',
        JSON.stringify(body('claude-haiku')),
      );
      expect({ what, status: anthropic.status }).toEqual({ what, status: 400 });
      expect((await anthropic.json()).error).toMatchObject({
        param: 'model',
        message: expect.stringContaining('lacks custom-tools'),
      });
      const auto = await post(
        '/v1/chat/completions',
        JSON.stringify(body('auto')),
      );
      expect({ what, status: auto.status }).toEqual({ what, status: 200 });
      const decision = events.events.findLast(
        (event): event is RoutingDecision =>
          event.type === 'routing-decision' && event.requestedModel === 'auto',
      )!;
      expect(decision.requiredCapabilities).toContain('custom-tools');
      expect(decision.chosen).not.toBe('claude');
      expect(
        decision.candidates.find(c => c.modelProfile === 'claude'),
      ).toMatchObject({ kept: false, dropReason: 'missing-capability' });
    }
  });

  it('refuses a compressed body by its header, not as invalid JSON, in each API', async () => {
    const body = gzipSync(
      JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hello' }],
      }),
    );
    for (const path of ['/v1/chat/completions', '/v1/messages']) {
      for (const encoding of ['gzip', 'br', 'GZIP, identity']) {
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEYS.brightpath}`,
            'content-type': 'application/json',
            'content-encoding': encoding,
          },
          body,
        });
        expect(response.status).toBe(415);
        const text = await response.text();
        expect(text).toContain('content-encoding');
        expect(text).toContain('send the body uncompressed');
      }
    }
    // The header's no-op value is no encoding at all.
    const identity = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.brightpath}`,
        'content-type': 'application/json',
        'content-encoding': 'identity',
      },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hello' }],
      }),
    });
    expect(identity.status).toBe(200);
  });

  it('unknown routes and methods', async () => {
    expect((await fetch(`${url}/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${url}/v1/chat/completions`)).status).toBe(404);
    const control = await fetch(`${url}/control/state`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: 'not json',
    });
    expect(control.status).toBe(400);
  });
});
