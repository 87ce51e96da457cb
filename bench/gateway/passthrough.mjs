// The floor of the gateway benchmark: an HTTP proxy in Node with nothing of the gateway's work.
// It reads the request, forwards it with undici to the upstream and relays the answer back,
// with no parsing, auth, limits, routing or events. Usage:
//   UPSTREAM=http://127.0.0.1:7070 PORT=0 [RELAY=pipe] node passthrough.mjs
//
// RELAY picks how the answer is relayed. `pipeline` (the default, and the proxy the targets of
// issue #14 were set against) is `stream/promises`' pipeline, the idiomatic way; each call makes
// an AbortController and, when the streams finish, aborts it, building a DOMException with a
// stack trace: measured, a fifth to a quarter of this proxy's CPU a request. `pipe` is `Readable.pipe`,
// which makes none of that: the least a Node proxy can do, reported beside it.
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

const upstream = process.env.UPSTREAM ?? 'http://127.0.0.1:7070';
const relayByPipe = process.env.RELAY === 'pipe';
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 512 });

function pipe(body, res) {
  body.on('error', () => res.destroy());
  res.on('close', () => body.destroy());
  body.pipe(res);
}

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const response = await request(`${upstream}${req.url}`, {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
      dispatcher: agent,
    });
    res.writeHead(response.statusCode, {
      'content-type': response.headers['content-type'] ?? 'application/json',
    });
    if (relayByPipe) pipe(response.body, res);
    else await pipeline(response.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ listening: server.address().port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
