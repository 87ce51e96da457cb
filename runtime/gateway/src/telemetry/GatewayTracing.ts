import {
  Context,
  ROOT_CONTEXT,
  SpanKind,
  TraceFlags,
  trace,
  Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { GatewayConfig } from '../config/GatewayConfig';
import type { TraceParent } from '../api/traceparent';
import { GEN_AI, GenAiOperation } from './genAi';
import { RequestTrace } from './RequestTrace';

/**
 * The gateway's tracer: one OTLP/HTTP exporter behind a batch processor, a parent-based ratio
 * sampler (a caller's sampling decision is followed; new traces are sampled at the configured
 * ratio). Built only when an OTLP endpoint is configured: without it the gateway creates no
 * span object at all. Parents are passed explicitly, never through a context manager, so no
 * async hook runs on the request path.
 */
export class GatewayTracing {
  private readonly tracer: Tracer;

  private constructor(private readonly provider: TracerProvider) {
    this.tracer = provider.getTracer('@cellport/gateway');
  }

  /** The tracing the config asks for, or undefined when tracing is off. */
  static fromConfig(config: GatewayConfig): GatewayTracing | undefined {
    const telemetry = config.telemetry;
    if (!telemetry?.otlpTracesEndpoint) {
      return undefined;
    }
    const { otlpTracesEndpoint, sampleRatio, serviceName } = telemetry;
    const provider = new TracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: serviceName,
        // `service.instance.id`: still incubating, so not imported from the stable export.
        'service.instance.id': config.gatewayId,
      }),
      sampler: new ParentBasedSampler({
        root: new TraceIdRatioBasedSampler(sampleRatio),
      }),
      spanProcessors: [
        // A request makes four spans or so: the queue holds a few seconds of a busy
        // replica's traffic; beyond it spans are dropped rather than memory grown.
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: otlpTracesEndpoint }),
          maxQueueSize: 16_384,
          maxExportBatchSize: 1024,
          scheduledDelayMillis: 1000,
        }),
      ],
    });
    return new GatewayTracing(provider);
  }

  /**
   * Starts the span of one request, the child of the caller's span when it sent a
   * traceparent. Returns undefined when the sampler drops the request (its trace context is
   * then propagated upstream as not sampled, without spans).
   */
  startRequest(
    parent: TraceParent | undefined,
    operation: GenAiOperation,
    captureContent: boolean,
  ): RequestTrace | { unsampledTraceparent: string } {
    const context = parentContext(parent);
    const root = this.tracer.startSpan(
      operation,
      {
        kind: SpanKind.SERVER,
        attributes: { [GEN_AI.operationName]: operation },
      },
      context,
    );
    if (!root.isRecording()) {
      const { traceId, spanId } = root.spanContext();
      return { unsampledTraceparent: `00-${traceId}-${spanId}-00` };
    }
    return new RequestTrace(this.tracer, root, operation, captureContent);
  }

  /** Exports the spans ended so far. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Exports what is left and stops the exporter. */
  close(): Promise<void> {
    return this.provider.shutdown();
  }
}

function parentContext(parent: TraceParent | undefined): Context {
  if (!parent) {
    return ROOT_CONTEXT;
  }
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}
