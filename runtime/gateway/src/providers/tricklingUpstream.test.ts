import { createServer, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  testState,
} from '../__testUtils__/fixtures';
import type { Gateway } from '../createGateway';

// Real servers: generous limits so a loaded CI machine does not fail them.
jest.setTimeout(30_000);

const chunk = (content: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;

/**
 * An upstream that sends its headers (and `first`), then one byte of `rest` every 20 ms and
 * never finishes: undici's body timeout never fires, as bytes keep coming.
 */
function trickling(
  contentType: string,
  first: string,
  rest: string,
): (res: ServerResponse) => void {
  return res => {
    res.writeHead(200, { 'content-type': contentType });
    res.write(first);
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        return;
      }
      res.write(rest[at++ % rest.length]);
    }, 20);
    res.on('close', () => clearInterval(timer));
  };
}

describe('an upstream that trickles bytes without end', () => {
  let server: Server;
  let answer: (res: ServerResponse) => void;
  let gateway: Gateway;
  let url: string;
  let usage: () => UsageEvent[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }`;
    let events;
    ({ gateway, url, events } = await startGateway(upstream, {
      state: testState(upstream),
      // Each byte comes well inside both timeouts; only the whole answer or event does not.
      config: { upstreamTimeoutMs: 1000, upstreamIdleTimeoutMs: 1000 },
    }));
    usage = () => events.usage() as UsageEvent[];
  });
  afterAll(async () => {
    await gateway.stop();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  const post = (stream: boolean) =>
    postChat(
      url,
      {
        model: 'gpt-4o-mini',
        stream,
        messages: [{ role: 'user', content: 'hello' }],
      },
      { key: KEYS.brightpath },
    );

  it('ends a JSON answer whose body never completes with 504, billed, as one that stalled', async () => {
    answer = trickling('application/json', '{"choices":[', '    ');
    const before = usage().length;
    const response = await post(false);
    expect(response.status).toBe(504);
    expect((await response.json()).error.message).toContain(
      'after its headers',
    );
    await eventually(() => usage().length === before + 1);
    expect(usage()[before]).toMatchObject({
      status: 504,
      errorClass: 'upstream-timeout',
    });
  });

  it('keeps a stream alive through keep-alive comment lines', async () => {
    answer = res => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('Hello'));
      // A comment line every 150 ms for longer than the idle timeout, then the answer.
      let beats = 0;
      const timer = setInterval(() => {
        if (++beats < 10) {
          res.write(': keep-alive\n');
          return;
        }
        clearInterval(timer);
        res.end(
          `\n${chunk(' world').replace(
            '"finish_reason":null',
            '"finish_reason":"stop"',
          )}data: [DONE]\n\n`,
        );
      }, 150);
      res.on('close', () => clearInterval(timer));
    };
    const response = await post(true);
    const text = await response.text();
    expect(text).toContain('"content":" world"');
    expect(text).not.toContain('error');
  });

  it('ends a stream whose next event never completes with an error event', async () => {
    answer = trickling('text/event-stream', chunk('Hello'), ': never ending');
    const response = await post(true);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"content":"Hello"');
    expect(text).toContain('no complete line');
  });
});
