// The floor of the gateway benchmark: the least an HTTP proxy in Node can do per request.
// It reads the request, forwards it with undici to the upstream and pipes the answer back,
// with no parsing, auth, limits, routing or events. Usage: UPSTREAM=http://127.0.0.1:7070 PORT=0 node passthrough.mjs
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

const upstream = process.env.UPSTREAM ?? 'http://127.0.0.1:7070';
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 512 });

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
    await pipeline(response.body, res);
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
