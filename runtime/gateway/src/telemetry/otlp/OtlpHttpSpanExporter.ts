import { ExportResultCode } from '@opentelemetry/core';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SpanBatch } from './SpanBatches';

/**
 * Sends encoded span batches over OTLP/HTTP (protobuf) with OpenTelemetry's own transport:
 * its retries with backoff, timeout, concurrency limit and the standard `OTEL_EXPORTER_OTLP_*`
 * headers, timeout and compression settings. A batch that cannot be delivered is dropped
 * and reported, never retried forever nor held in memory, as are spans a collector takes
 * the batch of but rejects (a partial success).
 */
export class OtlpHttpSpanExporter {
  private readonly delegate;
  /** Spans of the batches sent and not yet answered (or given up on). */
  pendingSpans = 0;

  constructor(
    url: string,
    private readonly onDropped: (spans: number, reason: string) => void,
  ) {
    this.delegate = createOtlpHttpExportDelegate(
      // The path the SDK's own OTLP exporters take to merge options, the OTEL_EXPORTER_OTLP_*
      // variables and defaults. At most eight batches in flight (each up to 4 MiB, held
      // through its retries): beyond that a batch is dropped rather than memory grown.
      convertLegacyHttpOptions(
        { url, concurrencyLimit: 8 },
        'TRACES',
        'v1/traces',
        { 'Content-Type': 'application/x-protobuf' },
      ),
      {
        serializeRequest: (batch: SpanBatch) => batch.body,
        // A collector may take a batch and reject some of its spans: they are dropped too.
        deserializeResponse: (data: Uint8Array) => {
          const response = ProtobufTraceSerializer.deserializeResponse(data);
          const rejected = Number(response.partialSuccess?.rejectedSpans ?? 0);
          if (rejected > 0) {
            this.onDropped(
              rejected,
              `collector rejected spans: ${
                response.partialSuccess?.errorMessage || 'no reason given'
              }`,
            );
          }
          return response;
        },
      },
      'otlp_http_span_exporter',
      { name: 'span', countItems: (batch: SpanBatch) => batch.spans },
      undefined,
    );
  }

  send(batch: SpanBatch): void {
    this.pendingSpans += batch.spans;
    this.delegate.export(batch, result => {
      this.pendingSpans -= batch.spans;
      if (result.code !== ExportResultCode.SUCCESS) {
        this.onDropped(batch.spans, String(result.error?.message ?? 'failed'));
      }
    });
  }

  /** Waits for the exports under way. */
  flush(): Promise<void> {
    return this.delegate.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.delegate.shutdown();
  }
}
