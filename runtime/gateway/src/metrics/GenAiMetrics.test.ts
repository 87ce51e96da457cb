import type { SimulatorServer } from '@cellport/simulator';
import {
  ADMIN_TOKEN,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/** The value of one series of a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GenAI metrics and standard process metrics beside the gateway metrics', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  const post = (path: string, body: Record<string, unknown>) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.northwind}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });

  it('records token usage by type, operation duration and time to first chunk under the OpenTelemetry names', async () => {
    const answer = await (
      await post('/v1/chat/completions', {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Grüße aus Köln' }],
      })
    ).json();
    const streamed = await post('/v1/chat/completions', {
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'stream' }],
    });
    await streamed.text();
    // A caller's free-form model name must not become a label: it is refused, and counted
    // without one.
    const refused = await post('/v1/chat/completions', {
      model: 'no-such-model-ü',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await post('/v1/embeddings', {
      model: 'text-embedding-3-small',
      input: 'x',
    });

    const text = await (await fetch(`${url}/metrics`)).text();
    const chat =
      'gen_ai_operation_name="chat",gen_ai_provider_name="simulator",gen_ai_request_model="eu-large-model"';
    expect(text).toContain('# TYPE gen_ai_client_token_usage histogram');
    expect(
      sample(
        text,
        `gen_ai_client_token_usage_sum{${chat},gen_ai_token_type="input"}`,
      ),
    ).toBeGreaterThanOrEqual(answer.usage.prompt_tokens);
    expect(
      sample(
        text,
        `gen_ai_client_token_usage_count{${chat},gen_ai_token_type="output"}`,
      ),
    ).toBe(2);
    expect(
      sample(text, `gen_ai_client_operation_duration_seconds_count{${chat}}`),
    ).toBe(2);
    // Only the streamed answer has a first chunk.
    expect(
      sample(
        text,
        `gen_ai_client_operation_time_to_first_chunk_seconds_count{${chat}}`,
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="embeddings",gen_ai_provider_name="simulator",gen_ai_request_model="eu-embed-model"}',
      ),
    ).toBe(1);
    expect(text).toMatch(
      /^gen_ai_client_operation_duration_seconds_count\{gen_ai_operation_name="chat",error_type="[a-z-]+"\} 1$/m,
    );
    expect(text).not.toContain('no-such-model');
  });

  it('counts the Responses API and Anthropic Messages as the chat operation they are, JSON or streamed, with the tokens their answers report', async () => {
    const chat =
      'gen_ai_operation_name="chat",gen_ai_provider_name="simulator",gen_ai_request_model="eu-large-model"';
    const read = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return {
        input:
          sample(
            text,
            `gen_ai_client_token_usage_sum{${chat},gen_ai_token_type="input"}`,
          ) ?? 0,
        output:
          sample(
            text,
            `gen_ai_client_token_usage_sum{${chat},gen_ai_token_type="output"}`,
          ) ?? 0,
        operations:
          sample(
            text,
            `gen_ai_client_operation_duration_seconds_count{${chat}}`,
          ) ?? 0,
        firstChunks:
          sample(
            text,
            `gen_ai_client_operation_time_to_first_chunk_seconds_count{${chat}}`,
          ) ?? 0,
      };
    };
    const before = await read();
    const response = await (
      await post('/v1/responses', { model: 'gpt-4o', input: 'Grüße' })
    ).json();
    const message = await (
      await post('/v1/messages', {
        model: 'gpt-4o',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Grüße' }],
      })
    ).json();
    await (
      await post('/v1/responses', { model: 'gpt-4o', input: 'x', stream: true })
    ).text();
    await (
      await post('/v1/messages', {
        model: 'gpt-4o',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      })
    ).text();
    const after = await read();
    expect(after.operations - before.operations).toBe(4);
    expect(after.firstChunks - before.firstChunks).toBe(2);
    // The JSON answers' own usage is part of what was counted, in their APIs' terms.
    expect(after.input - before.input).toBeGreaterThan(
      response.usage.input_tokens + message.usage.input_tokens,
    );
    expect(after.output - before.output).toBeGreaterThan(
      response.usage.output_tokens + message.usage.output_tokens,
    );
  });

  it('counts requests refused before authentication in the operation duration, by their error and API', async () => {
    const refuse = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer cp-not-a-key',
          'content-type': 'application/json',
        },
        body: '{}',
      });
    expect((await refuse('/v1/chat/completions')).status).toBe(401);
    expect((await refuse('/v1/messages')).status).toBe(401);
    expect((await refuse('/v1/embeddings')).status).toBe(401);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(
      sample(
        text,
        'gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="chat",error_type="unauthorized"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="embeddings",error_type="unauthorized"}',
      ),
    ).toBe(1);
  });

  it("exports Node's process metrics under their standard names, and the circuit state as a label", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(text).not.toContain('cellport_gateway_process_');
    expect(text).not.toContain('cellport_gateway_nodejs_');
    const states = ['closed', 'half_open', 'open'].map(state =>
      sample(
        text,
        `cellport_gateway_circuit_state{model="eu-large",state="${state}"}`,
      ),
    );
    expect(states).toEqual([1, 0, 0]);
  });

  it('charts the circuits of the profiles in force only: one a state push removed goes', async () => {
    const served = await postChat(
      url,
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      },
      { key: KEYS.brightpath },
    );
    expect(served.status).toBe(200);
    const series =
      'cellport_gateway_circuit_state{model="us-small",state="closed"}';
    expect(sample(await (await fetch(`${url}/metrics`)).text(), series)).toBe(
      1,
    );
    const state = testState(simulator.url, 'v2');
    state.modelProfiles = state.modelProfiles.filter(p => p.id !== 'us-small');
    for (const tenant of state.tenants) {
      tenant.allowedModels = tenant.allowedModels.filter(m => m !== 'us-small');
    }
    const push = await fetch(`${url}/control/state`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(state),
    });
    expect(push.status).toBe(200);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).not.toContain(
      'cellport_gateway_circuit_state{model="us-small"',
    );
    expect(
      sample(
        text,
        'cellport_gateway_circuit_state{model="eu-large",state="closed"}',
      ),
    ).toBe(1);
  });
});
