// A stand-in for the portal's event ingest, in its own process so that parsing the gateway's
// event batches never steals time from the benchmark's load generator.
// POST /api/platform/events counts events per cell (and distinct event ids, so a redelivered
// batch is not counted twice); GET /count answers `{ <cell>: { received, distinct, bytes } }`,
// GET /sample the first request's events, which the spool micro-benchmark serializes.
import { createServer } from 'node:http';

const cells = new Map();
let sample = [];
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    const counts = {};
    for (const [cell, { received, ids, bytes }] of cells) {
      counts[cell] = { received, distinct: ids.size, bytes };
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(counts));
    return;
  }
  if (req.method === 'GET' && req.url === '/sample') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(sample));
    return;
  }
  const chunks = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const { events } = JSON.parse(body.toString('utf8'));
    if (sample.length === 0) {
      sample = events.filter(event => event.requestId === events[0].requestId);
    }
    for (const event of events) {
      let count = cells.get(event.cell);
      if (!count) {
        count = { received: 0, ids: new Set(), bytes: 0 };
        cells.set(event.cell, count);
      }
      count.received += 1;
      count.ids.add(event.id);
      // A batch's bytes are shared out over its events.
      count.bytes += body.length / events.length;
    }
    res.writeHead(202).end();
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ listening: server.address().port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
