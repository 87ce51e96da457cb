/**
 * GATEWAY_MAX_BODY_BYTES is a limit a body may reach: at its default (1 MiB) a body of exactly
 * that size is served, one byte more is answered 413. A gateway in process, configured as
 * `readGatewayConfig` reads an unset variable; `slowClients.test.ts` holds what happens to the
 * connection of a body over it.
 */
import type { SimulatorServer } from '@cellport/simulator';
import { KEYS, startGateway, startSimulator } from './__testUtils__/fixtures';
import { readGatewayConfig } from './config/GatewayConfig';
import type { Gateway } from './createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

/**
 * A chat request of exactly `bytes` bytes. JSON allows whitespace after the document: padding
 * there leaves the prompt a word long, so the size tests the limit and not the context window.
 */
function chatBodyOf(bytes: number): string {
  const body = JSON.stringify({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 1,
  });
  return body + ' '.repeat(bytes - body.length);
}

describe('the request body limit', () => {
  const limit = readGatewayConfig({}).maxBodyBytes;
  let simulator: SimulatorServer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    ({ gateway, url } = await startGateway(simulator.url, {
      config: { maxBodyBytes: limit },
    }));
  });
  afterAll(async () => {
    await gateway.stop();
    await simulator.stop();
  });

  /** The status of a chat request of `bytes` bytes. */
  async function statusOf(bytes: number): Promise<number> {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.northwind}`,
        'content-type': 'application/json',
      },
      body: chatBodyOf(bytes),
    });
    await response.text();
    return response.status;
  }

  it('is 1 MiB unless set', () => {
    expect(limit).toBe(1_048_576);
  });

  it('serves a body of exactly the limit and answers one byte more 413', async () => {
    expect({
      atLimit: await statusOf(limit),
      overLimit: await statusOf(limit + 1),
    }).toEqual({ atLimit: 200, overLimit: 413 });
  });
});
