import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/GatewayConfig';
import type { TraceParent } from '../api/traceparent';
import { GEN_AI, GenAiOperation } from './genAi';
import { newSpanId, newTraceId } from './otlp/ids';
import { DroppedSpans } from './otlp/DroppedSpans';
import { OtlpHttpSpanExporter } from './otlp/OtlpHttpSpanExporter';
import { RecordedSpan, SPAN_KIND, wallClockAnchor } from './otlp/RecordedSpan';
import { SpanBatches } from './otlp/SpanBatches';
import { RequestTrace } from './RequestTrace';

/** The longest a stop waits for the collector to take the last spans. */
const CLOSE_LIMIT_MS = 2_000;

/**
 * The gateway's tracing: spans recorded as plain data and encoded to OTLP protobuf as each
 * ends, sent in batches over OTLP/HTTP; a parent-based ratio sampler (a caller's sampling
 * decision is followed; new traces are sampled at the configured ratio). Built only when an
 * OTLP endpoint is configured: without it the gateway creates no span at all.
 *
 * Why not the OpenTelemetry SDK's tracer and batch processor: a request makes three spans,
 * and the SDK's span objects, attribute checks and serialization of a second's worth of kept
 * spans added half again to a request's CPU (bench/gateway, BENCH_TRACING=1); recorded and
 * encoded here, they add a sixth or so. The wire format and the transport are the standard
 * ones.
 */
export class GatewayTracing {
  private constructor(
    private readonly batches: SpanBatches,
    private readonly exporter: OtlpHttpSpanExporter,
    private readonly dropped: DroppedSpans,
    private readonly sampleRatio: number,
  ) {}

  /** The tracing the config asks for, or undefined when tracing is off. */
  static fromConfig(
    config: GatewayConfig,
    logger?: Logger,
  ): GatewayTracing | undefined {
    const telemetry = config.telemetry;
    if (!telemetry?.otlpTracesEndpoint) {
      return undefined;
    }
    const { otlpTracesEndpoint, sampleRatio, serviceName } = telemetry;
    const dropped = new DroppedSpans(logger);
    const exporter = new OtlpHttpSpanExporter(
      otlpTracesEndpoint,
      (spans, reason) => dropped.add(spans, reason),
    );
    const batches = new SpanBatches({
      resource: {
        [ATTR_SERVICE_NAME]: serviceName,
        // `service.instance.id`: still incubating, so not imported from the stable export.
        'service.instance.id': config.gatewayId,
        'telemetry.sdk.language': 'nodejs',
      },
      scope: { name: '@cellport/gateway' },
      // A request makes three spans: a batch holds a few hundred requests, and goes at
      // least every second.
      maxSpans: 1024,
      maxBytes: 4 * 1024 * 1024,
      delayMs: 1000,
      send: batch => exporter.send(batch),
      dropped: reason => dropped.add(1, reason),
    });
    return new GatewayTracing(batches, exporter, dropped, sampleRatio);
  }

  /**
   * Starts the span of one request, the child of the caller's span when it sent a
   * traceparent. When the sampler drops the request, returns the trace context to
   * propagate upstream as not sampled, without spans.
   */
  startRequest(
    parent: TraceParent | undefined,
    operation: GenAiOperation,
    captureContent: boolean,
  ): RequestTrace | { unsampledTraceparent: string } {
    const traceId = parent?.traceId ?? newTraceId();
    const spanId = newSpanId();
    if (!this.sampled(parent, traceId)) {
      return { unsampledTraceparent: `00-${traceId}-${spanId}-00` };
    }
    const root = new RecordedSpan(
      this.batches,
      wallClockAnchor(),
      traceId,
      spanId,
      parent && { spanId: parent.spanId, remote: true },
      operation,
      SPAN_KIND.server,
      { [GEN_AI.operationName]: operation },
    );
    return new RequestTrace(this.batches, root, operation, captureContent);
  }

  /**
   * A request refused before it was authenticated (401, or 503 with no state loaded): a span
   * of its own all the same, so that the caller's trace shows where its request stopped.
   */
  recordRefusal(
    parent: TraceParent | undefined,
    operation: GenAiOperation,
    refusal: { status: number; errorClass: string },
  ): void {
    const traceId = parent?.traceId ?? newTraceId();
    if (!this.sampled(parent, traceId)) return;
    const span = new RecordedSpan(
      this.batches,
      wallClockAnchor(),
      traceId,
      newSpanId(),
      parent && { spanId: parent.spanId, remote: true },
      operation,
      SPAN_KIND.server,
      {
        [GEN_AI.operationName]: operation,
        [ATTR_ERROR_TYPE]: refusal.errorClass,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: refusal.status,
      },
    );
    span.setError();
    span.end();
  }

  /** Sends the spans ended so far and waits for every export under way. */
  async flush(): Promise<void> {
    this.batches.send();
    await this.exporter.flush();
  }

  /**
   * Exports what is left and stops the exporter, waiting at most `limitMs`: a collector that
   * hangs must not hold a stop past its drain (the pod's grace period would end in a SIGKILL);
   * what it has not taken by then is counted and logged as dropped, as is a span that ends
   * later (a request the stop cut off).
   */
  async close(limitMs = CLOSE_LIMIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      this.batches.close();
      const exported = this.exporter
        .flush()
        .then(() => this.exporter.shutdown())
        .then(() => true);
      const finished = await Promise.race([
        exported,
        new Promise<boolean>(resolve => {
          timer = setTimeout(() => resolve(false), limitMs);
        }),
      ]);
      if (!finished && this.exporter.pendingSpans > 0) {
        this.dropped.add(
          this.exporter.pendingSpans,
          'the collector had not answered when the gateway stopped',
        );
      }
    } finally {
      clearTimeout(timer);
      this.dropped.stop();
    }
  }

  /** Parent-based: a caller's decision holds; a new trace is kept at the ratio, by its id. */
  private sampled(parent: TraceParent | undefined, traceId: string): boolean {
    if (parent) return parent.sampled;
    if (this.sampleRatio >= 1) return true;
    // The last 8 hex digits of a random trace id are uniform: as a fraction of 2^32.
    return parseInt(traceId.slice(-8), 16) < this.sampleRatio * 2 ** 32;
  }
}
