import { z } from 'zod';
import { LatencyMetric, REFERENCE_SLOS } from '../kinds/slo';

/**
 * The runtime services of a cell, seed 001's SLO table row by row. The AI Gateway and LLM
 * Router are the gateway process this repository runs: the portal receives their events, so
 * their objectives are the Cell's `spec.slos` (event SLIs). The other services report only to
 * Prometheus, so their objectives declare a Prometheus SLI (`spec.serviceSlos`).
 */
export const RUNTIME_SERVICE_IDS = [
  'conversation-manager',
  'context-pack-compiler',
  'ai-gateway',
  'llm-router',
  'knowledge-substrate',
  'memory-service',
  'tool-gateway',
  'policy-engine',
  'audit-store',
] as const;
export const runtimeServiceIdSchema = z.enum(RUNTIME_SERVICE_IDS);
export type RuntimeServiceId = z.infer<typeof runtimeServiceIdSchema>;

/** The services whose SLIs the portal computes from the gateway's events. */
export const EVENT_SLI_SERVICES = ['ai-gateway', 'llm-router'] as const;

/** The services whose SLIs live only in Prometheus: the keys of a Cell's `spec.serviceSlos`. */
export const prometheusSliServiceIdSchema = runtimeServiceIdSchema.exclude([
  ...EVENT_SLI_SERVICES,
]);
export type PrometheusSliServiceId = z.infer<
  typeof prometheusSliServiceIdSchema
>;

type ReferenceService = (typeof REFERENCE_SLOS)[number]['service'];

const REFERENCE_ROW: Record<RuntimeServiceId, ReferenceService> = {
  'conversation-manager': 'Conversation Manager',
  'context-pack-compiler': 'Context Pack Compiler',
  'ai-gateway': 'AI Gateway',
  'llm-router': 'LLM Router',
  'knowledge-substrate': 'Knowledge Substrate (GraphRAG)',
  'memory-service': 'Memory Service (recall)',
  'tool-gateway': 'Tool Gateway',
  'policy-engine': 'Policy Engine',
  'audit-store': 'Audit store write',
};

/**
 * The operation seed 001 measures latency on, where the table names one (recall, write); the
 * service's request histogram carries it as its `operation` label.
 */
const MEASURED_OPERATION: Partial<Record<RuntimeServiceId, string>> = {
  'memory-service': 'recall',
  'audit-store': 'write',
};

export interface RuntimeService {
  id: RuntimeServiceId;
  /** The row's name in seed 001's table. */
  title: string;
  p95Ms: number;
  availability: number;
  /**
   * The metric prefix its Prometheus SLIs default to: `<prefix>_requests_total` with an
   * `outcome` label ("error" for the service's own failures) and
   * `<prefix>_request_duration_seconds`, a histogram with a bucket at its p95 objective.
   */
  metricPrefix: string;
  operation?: string;
}

/** Seed 001's row of each runtime service, in the table's order. */
export const RUNTIME_SERVICES: RuntimeService[] = RUNTIME_SERVICE_IDS.map(
  id => {
    const row = REFERENCE_SLOS.find(r => r.service === REFERENCE_ROW[id])!;
    return {
      id,
      title: row.service,
      p95Ms: row.p95Ms,
      availability: row.availability,
      metricPrefix: `cellport_${id.replace(/-/g, '_')}`,
      ...(MEASURED_OPERATION[id] ? { operation: MEASURED_OPERATION[id] } : {}),
    };
  },
);

export function runtimeService(id: RuntimeServiceId): RuntimeService {
  return RUNTIME_SERVICES.find(s => s.id === id)!;
}

/** The service an event-SLI objective measures: the router's decision time is the router's. */
export function eventSliService(metric?: LatencyMetric): RuntimeServiceId {
  return metric === 'router-decision' ? 'llm-router' : 'ai-gateway';
}
