// A stand-in for the portal's event ingest, in its own process so that parsing the gateway's
// event batches never steals time from the benchmark's load generator.
// POST /api/platform/events counts events; GET /count answers how many arrived.
import { createServer } from 'node:http';

let received = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ received }));
    return;
  }
  const chunks = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    received += JSON.parse(Buffer.concat(chunks).toString('utf8')).events
      .length;
    res.writeHead(202).end();
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ listening: server.address().port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
