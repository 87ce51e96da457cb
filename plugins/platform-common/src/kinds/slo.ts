import { z } from 'zod';
import { boundedNumber } from './bounds';

/**
 * What an SLO measures. Availability counts requests the platform did not fail (a 5xx or
 * timeout of its own making); latency counts requests faster than `thresholdMs` on `metric`.
 */
export const sloIndicatorSchema = z.enum(['availability', 'latency']);

/** The latency a latency SLO is measured on, as the gateway records it per request. */
export const latencyMetricSchema = z.enum([
  'gateway-overhead',
  'upstream',
  'time-to-first-token',
  'router-decision',
]);
export type LatencyMetric = z.infer<typeof latencyMetricSchema>;

export const sloWindowSchema = z.enum(['28d', '30d']);
export type SloWindow = z.infer<typeof sloWindowSchema>;

/** The share of good events an objective promises, e.g. 0.9995 for 99.95%. */
export const sloTargetSchema = z
  .number()
  .gt(0, 'must be a fraction between 0 and 1, e.g. 0.9995')
  .lt(1, 'must be a fraction between 0 and 1, e.g. 0.9995');

/**
 * The longest latency threshold an objective may have: the portal's latency histograms end
 * at 60 s (a request slower than that lands in one overflow bucket, which tells nothing of
 * where in it), so a longer threshold could not be measured.
 */
export const LATENCY_THRESHOLD_MAX_MS = 60_000;

/**
 * One service level objective, OpenSLO-like. `target` is the share of good events over the
 * rolling `window`, e.g. 0.9995 for 99.95%; for latency, `target` 0.95 with `thresholdMs` 300
 * reads "p95 under 300 ms".
 */
export const sloObjectiveSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][-a-z0-9]*$/, 'must be a lower-case slug'),
    indicator: sloIndicatorSchema,
    metric: latencyMetricSchema.optional(),
    thresholdMs: boundedNumber({
      min: 0,
      exclusiveMin: true,
      max: LATENCY_THRESHOLD_MAX_MS,
    }).optional(),
    target: sloTargetSchema,
    window: sloWindowSchema.default('28d'),
  })
  .superRefine((slo, ctx) => {
    if (slo.indicator === 'latency' && slo.thresholdMs === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholdMs'],
        message: 'is required for a latency objective',
      });
    }
  });
export type SloObjective = z.infer<typeof sloObjectiveSchema>;

/**
 * The reference SLO table (seed 001): p95 latency and availability per platform service.
 * Cells and Agents without their own `slos` are held to the gateway and router rows.
 */
export const REFERENCE_SLOS = [
  { service: 'Conversation Manager', p95Ms: 100, availability: 0.9995 },
  { service: 'Context Pack Compiler', p95Ms: 250, availability: 0.999 },
  { service: 'AI Gateway', p95Ms: 300, availability: 0.9995 },
  { service: 'LLM Router', p95Ms: 50, availability: 0.9995 },
  {
    service: 'Knowledge Substrate (GraphRAG)',
    p95Ms: 500,
    availability: 0.999,
  },
  { service: 'Memory Service (recall)', p95Ms: 200, availability: 0.999 },
  { service: 'Tool Gateway', p95Ms: 1500, availability: 0.999 },
  { service: 'Policy Engine', p95Ms: 100, availability: 0.9995 },
  { service: 'Audit store write', p95Ms: 200, availability: 0.9999 },
] as const;

/** The objectives a Cell or Agent gets when it declares none. */
export const DEFAULT_SLOS: SloObjective[] = [
  {
    name: 'gateway-availability',
    indicator: 'availability',
    target: 0.9995,
    window: '28d',
  },
  {
    name: 'gateway-overhead-p95',
    indicator: 'latency',
    metric: 'gateway-overhead',
    thresholdMs: 300,
    target: 0.95,
    window: '28d',
  },
  {
    name: 'router-decision-p95',
    indicator: 'latency',
    metric: 'router-decision',
    thresholdMs: 50,
    target: 0.95,
    window: '28d',
  },
];
