import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorServer } from '@cellport/simulator';
import {
  KEYS,
  RecordingEventSink,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';
import type { RequestRecord } from '../events/RequestRecord';
import { GatewayError } from '../http/GatewayError';
import type { ChatRequestSummary } from '../router/chatRequest';
import { ChatEndpoint } from './ChatEndpoint';
import { GatewayResponse } from '../http/GatewayResponse';
import { RequestPipeline } from './RequestPipeline';

jest.setTimeout(30_000);

/**
 * A prompt-only endpoint, `{ model, prompt }`, answered by chat upstreams: it brings only its
 * own body check and translation, and takes the rest of chat's payload handling as it is.
 */
class PromptEndpoint extends ChatEndpoint {
  readonly failureLog = 'prompt request failed unexpectedly';

  parse(
    body: Record<string, unknown>,
    raw: Buffer,
    record: RequestRecord,
  ): ChatRequestSummary {
    if (typeof body.prompt !== 'string') {
      throw GatewayError.invalid('prompt must be a string', 'prompt');
    }
    // What goes upstream is the body as parsed: a chat body from here on.
    body.messages = [{ role: 'user', content: body.prompt }];
    body.max_tokens = 16;
    delete body.prompt;
    return super.parse(body, raw, record);
  }
}

describe('RequestPipeline', () => {
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let events: RecordingEventSink;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, events } = await startGateway(simulator.url));
    const pipeline = new RequestPipeline(
      gateway.deps,
      new PromptEndpoint(gateway.deps),
    );
    server = createServer({ ServerResponse: GatewayResponse }, (req, res) => {
      pipeline.handle(req, res).catch(() => res.writeHead(500).end());
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
    await gateway.stop();
    await simulator.stop();
  });
  afterEach(() => {
    events.events.length = 0;
  });

  const post = (body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.brightpath}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });

  it('serves a new endpoint that brings only its payload handling', async () => {
    const response = await post({ model: 'gpt-4o-mini', prompt: 'hello' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const answer = await response.json();
    expect(answer.object).toBe('chat.completion');
    expect(events.decisions()).toHaveLength(1);
    const [usage] = events.usage();
    expect(usage).toMatchObject({
      type: 'usage',
      tenant: 'brightpath',
      outcome: 'success',
      inputTokens: answer.usage.prompt_tokens,
      outputTokens: answer.usage.completion_tokens,
    });
  });

  it('answers the endpoint’s own 400 in the pipeline’s error shape, with its events', async () => {
    const response = await post({ model: 'gpt-4o-mini', prompt: 42 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'prompt' },
    });
    expect(events.usage()).toMatchObject([
      { outcome: 'rejected', status: 400 },
    ]);
  });
});
