import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeOtlpTraces, ReceivedSpan } from './decodeOtlpTraces';

export type { ReceivedSpan };

/**
 * An OTLP/HTTP collector on loopback for tests: it takes `POST /v1/traces` in the protobuf
 * encoding, as a collector does, and keeps the spans and the raw bodies.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Each export request's body, as text: prompt text would show in it. */
  readonly bodies: string[] = [];
  /** How many export requests were answered with an error status instead of taken. */
  refused = 0;
  private readonly nextStatuses: number[] = [];
  private server?: Server;

  /** Answers the next export requests with these statuses instead of taking them. */
  answerNext(...statuses: number[]): void {
    this.nextStatuses.push(...statuses);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        if (
          req.method !== 'POST' ||
          req.url !== '/v1/traces' ||
          req.headers['content-type'] !== 'application/x-protobuf'
        ) {
          res.writeHead(415).end();
          return;
        }
        const status = this.nextStatuses.shift();
        if (status !== undefined) {
          this.refused += 1;
          res.writeHead(status).end();
          return;
        }
        const body = Buffer.concat(chunks);
        this.bodies.push(body.toString('utf8'));
        this.spans.push(...decodeOtlpTraces(body));
        // An empty ExportTraceServiceResponse: all accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', () => resolve()),
    );
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1/traces`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter(span => span.traceId === traceId);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }
}
