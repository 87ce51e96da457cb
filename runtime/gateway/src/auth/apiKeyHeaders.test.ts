/**
 * Whatever a caller puts in its key headers gets a clear answer, never a 500, a stack trace or
 * its key quoted back: the Bearer scheme in any case and with spaces around it, Anthropic's
 * x-api-key on the Messages API only (and never over a Bearer that fails), bytes a key cannot
 * hold, headers sent twice, headers of a megabyte. The requests go as raw bytes to a gateway in
 * process, as no HTTP client would send most of them.
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';
import { rawConnection } from '../__testUtils__/rawConnection';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(60_000);

const KEY = KEYS.northwind;
const MEGABYTE = 'k'.repeat(1024 * 1024);

/** A POST as raw bytes, its header lines as given (latin-1, as HTTP/1.1 sends them). */
function rawPost(path: string, body: object, headers: string[]): string {
  const json = JSON.stringify(body);
  return (
    `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(json)}\r\n` +
    `${headers.map(h => `${h}\r\n`).join('')}\r\n${json}`
  );
}

const chat = (...headers: string[]) =>
  rawPost(
    '/v1/chat/completions',
    {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
    },
    headers,
  );
const messages = (...headers: string[]) =>
  rawPost(
    '/v1/messages',
    {
      model: 'gpt-4o',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'hi' }],
    },
    headers,
  );
const embeddings = (...headers: string[]) =>
  rawPost(
    '/v1/embeddings',
    { model: 'text-embedding-3-small', input: 'x' },
    headers,
  );

/** What a caller sends, the request, and the statuses that are a clear answer to it. */
const CASES: Array<[string, string, number[]]> = [
  ['Bearer', chat(`Authorization: Bearer ${KEY}`), [200]],
  ['lower-case bearer', chat(`authorization: bearer ${KEY}`), [200]],
  ['extra spaces', chat(`Authorization:    Bearer    ${KEY}    `), [200]],
  ['no token', chat('Authorization: Bearer'), [401]],
  ['Bearer and spaces only', chat('Authorization: Bearer      '), [401]],
  [
    'Basic',
    chat(`Authorization: Basic ${Buffer.from(`x:${KEY}`).toString('base64')}`),
    [401],
  ],
  ['a tab for the space', chat(`Authorization: Bearer\t${KEY}`), [401]],
  [
    'a key with a latin-1 byte',
    chat(`Authorization: Bearer ${KEY}\u00e9`),
    [401],
  ],
  [
    'a key with a NUL byte',
    chat(`Authorization: Bearer ${KEY}\u0000`),
    [400, 401],
  ],
  [
    'a key with a DEL byte',
    chat(`Authorization: Bearer ${KEY}\u007f`),
    [400, 401],
  ],
  // Before: the first was taken, whichever a proxy in front had read.
  [
    'two Authorization headers, the right one first',
    chat(`Authorization: Bearer ${KEY}`, 'Authorization: Bearer nope'),
    [400],
  ],
  [
    'two Authorization headers, the right one last',
    chat('Authorization: Bearer nope', `authorization: Bearer ${KEY}`),
    [400],
  ],
  ['x-api-key on chat', chat(`x-api-key: ${KEY}`), [401]],
  ['Azure api-key on chat', chat(`api-key: ${KEY}`), [401]],
  ['x-api-key on Messages', messages(`x-api-key: ${KEY}`), [200]],
  [
    'x-api-key with spaces on Messages',
    messages(`x-api-key:   ${KEY}  `),
    [200],
  ],
  [
    // Two different keys (maybe two tenants'): neither is guessed at.
    'a wrong x-api-key beside a right Bearer on Messages',
    messages('x-api-key: nope', `Authorization: Bearer ${KEY}`),
    [400],
  ],
  [
    'a right x-api-key beside a wrong Bearer on Messages',
    messages(`x-api-key: ${KEY}`, 'Authorization: Bearer nope'),
    [400],
  ],
  [
    "two tenants' keys, Bearer and x-api-key, on Messages",
    messages(`x-api-key: ${KEYS.brightpath}`, `Authorization: Bearer ${KEY}`),
    [400],
  ],
  [
    'the same key as Bearer and x-api-key on Messages',
    messages(`x-api-key: ${KEY}`, `Authorization: Bearer ${KEY}`),
    [200],
  ],
  [
    'two x-api-key headers on Messages',
    messages(`x-api-key: ${KEY}`, `x-api-key: ${KEY}`),
    [400, 401],
  ],
  [
    'a 1 MB Authorization header',
    chat(`Authorization: Bearer ${MEGABYTE}`),
    [400, 401, 431],
  ],
  [
    'a 12 KB key',
    chat(`Authorization: Bearer ${'k'.repeat(12 * 1024)}`),
    [401],
  ],
  [
    'a 1 MB x-api-key on Messages',
    messages(`x-api-key: ${MEGABYTE}`),
    [400, 401, 431],
  ],
  [
    'embeddings with a wrong key',
    embeddings('Authorization: Bearer nope'),
    [401],
  ],
];

/** Whether a whole answer came: its headers, and as many bytes of body as they declare. */
function answered({ received, bytes }: { received: string; bytes: number }) {
  const head = received.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /content-length: (\d+)/i.exec(received.slice(0, head));
  return !length || bytes - head - 4 >= Number(length[1]);
}

/** Sends `request` on a connection of its own: the status and the text of the answer. */
async function send(url: string, request: string) {
  const { socket, seen } = await rawConnection(url);
  try {
    // Headers and body are latin-1 or ASCII above; a key with a non-ASCII byte goes as one byte.
    socket.write(Buffer.from(request, 'latin1'));
    // Answered at all within 10 s: anything slower is a hang.
    await eventually(() => seen.closed || answered(seen), 400);
    return {
      status: Number(seen.received.split(' ')[1]) || 0,
      text: seen.received,
    };
  } finally {
    socket.destroy();
  }
}

describe('API key headers', () => {
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

  it.each(CASES)(
    '%s gets a clear answer, never a 500',
    async (_what, request, expected) => {
      const { status, text } = await send(url, request);
      expect({ status, expected: expected.includes(status) }).toEqual({
        status,
        expected: true,
      });
      expect(text).not.toMatch(/\n\s+at /);
      expect(text).not.toContain(KEY.slice(8));
    },
  );

  it('refuses GET /v1/models whose first of two Authorization headers is wrong, rather than trying the second', async () => {
    // RFC 9110 allows one Authorization header: a proxy in front may have checked the other.
    const { status } = await send(
      url,
      `GET /v1/models HTTP/1.1\r\nhost: x\r\nAuthorization: Bearer nope\r\nAuthorization: Bearer ${KEYS.brightpath}\r\n\r\n`,
    );
    expect([400, 401]).toContain(status);
  });
});
