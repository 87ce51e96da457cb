// A stand-in for an OpenTelemetry collector's OTLP/HTTP traces endpoint, in its own process
// so that decoding the gateway's span batches never steals time from the load generator.
// POST /v1/traces (protobuf encoding, read by the tests' decoder: start it with the
// TypeScript transform) counts spans, and spans per trace, and answers as a collector does;
// GET /count answers `{ spans, traces, batches }`.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const { decodeOtlpTraces } = createRequire(import.meta.url)(
  '../../runtime/gateway/src/__testUtils__/decodeOtlpTraces.ts',
);

let spans = 0;
let batches = 0;
const traces = new Set();
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ spans, traces: traces.size, batches }));
    return;
  }
  const chunks = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    if (req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    batches += 1;
    for (const span of decodeOtlpTraces(Buffer.concat(chunks))) {
      spans += 1;
      traces.add(span.traceId);
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ listening: server.address().port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
