import { z } from 'zod';
import { promSelectorSchema } from '../slo/promSelector';
import { prometheusSliServiceIdSchema } from '../slo/runtimeServices';
import { boundedNumber } from './bounds';
import { entityRefSchema } from './common';
import { sloTargetSchema, sloWindowSchema } from './slo';

/** A Prometheus SLI as good and total event counters: the SLI is rate(good) / rate(total). */
export const ratioSliSchema = z.strictObject({
  kind: z.literal('ratio'),
  good: promSelectorSchema,
  total: promSelectorSchema,
});

/**
 * A Prometheus SLI as a latency histogram (its base name, without `_bucket`) and the
 * objective's threshold: good events are those in the bucket at the threshold. `buckets`
 * (seconds) lets a threshold fall between two bounds, estimated linearly between them as
 * `histogram_quantile` does; without it the threshold must be one of the histogram's bounds.
 */
export const histogramSliSchema = z
  .strictObject({
    kind: z.literal('histogram'),
    histogram: promSelectorSchema,
    buckets: z
      .array(boundedNumber({ min: 0, exclusiveMin: true, max: 86_400 }))
      .min(1, 'must list at least one bucket bound')
      .optional(),
  })
  .superRefine((sli, ctx) => {
    if (/_(bucket|count|sum)(\{|$)/.test(sli.histogram)) {
      ctx.addIssue({
        code: 'custom',
        path: ['histogram'],
        message:
          'must be the histogram\'s base name, without "_bucket", "_count" or "_sum"',
      });
    }
    const buckets = sli.buckets ?? [];
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) {
      ctx.addIssue({
        code: 'custom',
        path: ['buckets'],
        message: 'must be in ascending order, each bound once',
      });
    }
  });

export const prometheusSliSchema = z.discriminatedUnion('kind', [
  ratioSliSchema,
  histogramSliSchema,
]);
export type RatioSli = z.infer<typeof ratioSliSchema>;
export type HistogramSli = z.infer<typeof histogramSliSchema>;
export type PrometheusSli = z.infer<typeof prometheusSliSchema>;

/** Overrides of a service's availability objective; what is left out keeps seed 001's value. */
const availabilityOverrideSchema = z.strictObject({
  target: sloTargetSchema.optional(),
  window: sloWindowSchema.optional(),
  sli: ratioSliSchema.optional(),
});

/** Overrides of a service's p95 latency objective. */
const latencyOverrideSchema = z
  .strictObject({
    target: sloTargetSchema.optional(),
    window: sloWindowSchema.optional(),
    /** Up to an hour, as for the gateway's latency objectives. */
    thresholdMs: boundedNumber({
      min: 0,
      exclusiveMin: true,
      max: 3_600_000,
    }).optional(),
    sli: prometheusSliSchema.optional(),
  })
  .superRefine((latency, ctx) => {
    if (latency.sli?.kind === 'ratio' && latency.thresholdMs !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholdMs'],
        message:
          'applies to a histogram SLI only: a ratio SLI counts fast requests itself',
      });
    }
  });

/**
 * One runtime service's SLOs in one cell, over seed 001's defaults: its owner (who is paged;
 * the cell's owner by default), and its availability and latency objectives. `enabled: false`
 * says the cell does not run the service: no objectives, no rules.
 */
export const serviceSloOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  owner: entityRefSchema.optional(),
  availability: availabilityOverrideSchema.optional(),
  latency: latencyOverrideSchema.optional(),
});
export type ServiceSloOverride = z.infer<typeof serviceSloOverrideSchema>;

/**
 * A Cell's `spec.serviceSlos`: per runtime service whose SLIs live in Prometheus, what differs
 * from seed 001's table. The AI Gateway's and LLM Router's objectives are `spec.slos`.
 */
export const serviceSlosSchema = z.partialRecord(
  prometheusSliServiceIdSchema,
  serviceSloOverrideSchema,
);
export type ServiceSlos = z.infer<typeof serviceSlosSchema>;
