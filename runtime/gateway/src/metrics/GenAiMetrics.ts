import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { Registry } from 'prom-client';
import type { RequestRecord } from '../events/RequestRecord';
import { genAiProviderName } from '../telemetry/genAi';
import { KeyedHistogram } from './KeyedHistogram';

const LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
] as const;

type Labels = Partial<Record<(typeof LABELS)[number], string>>;

/**
 * The OpenTelemetry GenAI client metrics, under the names OpenTelemetry's Prometheus
 * exporters give them (`gen_ai.client.token.usage` becomes `gen_ai_client_token_usage`,
 * seconds get `_seconds`), so GenAI dashboards find them. Their labels stay few and bounded:
 * the operation, the provider and the upstream model of the profile that answered (from the
 * desired state, never the caller's free-form `model`), the token type, the error class.
 * Buckets are the conventions' advice.
 */
export class GenAiMetrics {
  private readonly tokenUsage: KeyedHistogram<
    (typeof LABELS)[number] | 'gen_ai_token_type'
  >;
  private readonly duration: KeyedHistogram<
    (typeof LABELS)[number] | 'error_type'
  >;
  private readonly timeToFirstChunk: KeyedHistogram<(typeof LABELS)[number]>;

  constructor(registry: Registry) {
    this.tokenUsage = new KeyedHistogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per request, by token type (input, output)',
      labelNames: [...LABELS, 'gen_ai_token_type'],
      buckets: [
        1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
        16777216, 67108864,
      ],
      registers: [registry],
    });
    this.duration = new KeyedHistogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'Duration of GenAI requests through the gateway, from the first byte in to the last byte out',
      labelNames: [...LABELS, 'error_type'],
      buckets: [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24,
        20.48, 40.96, 81.92,
      ],
      registers: [registry],
    });
    this.timeToFirstChunk = new KeyedHistogram({
      name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
      help: 'Time to the first streamed chunk, from the request, for streamed answers',
      labelNames: LABELS,
      buckets: [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24,
        20.48, 40.96, 81.92,
      ],
      registers: [registry],
    });
  }

  /** A request refused before it was authenticated: no tenant, no model, its error class. */
  observeRefusal(operation: string, errorClass: string, totalMs: number): void {
    this.duration.observe(
      { gen_ai_operation_name: operation, error_type: errorClass },
      totalMs / 1000,
    );
  }

  /** Records a finished request; `profile` is the one that answered, if any did. */
  observe(
    record: RequestRecord,
    profile: GatewayModelProfile | undefined,
    totalMs: number,
    operation: string,
  ): void {
    const labels: Labels = { gen_ai_operation_name: operation };
    if (profile) {
      labels.gen_ai_provider_name = genAiProviderName(profile.provider);
      labels.gen_ai_request_model = profile.upstreamModel;
    }
    this.duration.observe(
      record.errorClass === undefined
        ? labels
        : { ...labels, error_type: record.errorClass },
      totalMs / 1000,
    );
    if (!profile) {
      return;
    }
    if (record.inputTokens > 0) {
      this.tokenUsage.observe(
        { ...labels, gen_ai_token_type: 'input' },
        record.inputTokens,
      );
    }
    if (record.outputTokens > 0) {
      this.tokenUsage.observe(
        { ...labels, gen_ai_token_type: 'output' },
        record.outputTokens,
      );
    }
    if (record.timeToFirstTokenMs !== undefined) {
      this.timeToFirstChunk.observe(labels, record.timeToFirstTokenMs / 1000);
    }
  }
}
