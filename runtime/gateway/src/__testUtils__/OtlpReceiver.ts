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
  private nextRejection?: { count: number; message: string };
  private server?: Server;

  /** Answers the next export requests with these statuses instead of taking them. */
  answerNext(...statuses: number[]): void {
    this.nextStatuses.push(...statuses);
  }

  /**
   * Takes the next export request but answers that `count` of its spans were rejected (an
   * OTLP partial success), as a collector does with spans it cannot accept.
   */
  rejectNext(count: number, message: string): void {
    this.nextRejection = { count, message };
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
        // An empty ExportTraceServiceResponse means all were accepted.
        const rejection = this.nextRejection;
        this.nextRejection = undefined;
        res
          .writeHead(200, { 'content-type': 'application/x-protobuf' })
          .end(rejection ? partialSuccess(rejection) : undefined);
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

/**
 * ExportTraceServiceResponse { partial_success (1): { rejected_spans (1): varint,
 * error_message (2): string } }, for counts and messages under 128 bytes.
 */
function partialSuccess({
  count,
  message,
}: {
  count: number;
  message: string;
}) {
  const text = Buffer.from(message, 'utf8');
  const inner = Buffer.concat([
    Buffer.from([0x08, count, 0x12, text.length]),
    text,
  ]);
  return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
}
