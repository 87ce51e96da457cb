import { z } from 'zod';
import { dnsLabelSchema, PLATFORM_API_VERSION } from './common';

/** Annotations Backstage's Kubernetes plugin reads to find an entity's workloads. */
export const KUBERNETES_ID_ANNOTATION = 'backstage.io/kubernetes-id';
export const KUBERNETES_NAMESPACE_ANNOTATION =
  'backstage.io/kubernetes-namespace';
export const KUBERNETES_LABEL_SELECTOR_ANNOTATION =
  'backstage.io/kubernetes-label-selector';

const metadataSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.string()).optional(),
});

export interface PlatformEntityOptions {
  /** The name becomes a Kubernetes object or namespace name, so it must be a DNS-1123 label. */
  dnsName?: boolean;
  /** A shorter bound than a DNS label's 63, and why (the name is part of a longer one). */
  nameMaxLength?: { max: number; why: string };
  /** The entity has workloads, so it must carry the Kubernetes plugin's annotations. */
  kubernetes?: boolean;
}

/** Wraps a kind's spec schema in the catalog entity envelope. */
export function platformEntitySchema<
  K extends string,
  S extends z.ZodType<Record<string, unknown>>,
>(kind: K, spec: S, options: PlatformEntityOptions = {}) {
  return z
    .object({
      apiVersion: z.literal(PLATFORM_API_VERSION),
      kind: z.literal(kind),
      metadata: options.dnsName
        ? metadataSchema.extend({
            name: options.nameMaxLength
              ? dnsLabelSchema.max(
                  options.nameMaxLength.max,
                  `must be at most ${options.nameMaxLength.max} characters: ${options.nameMaxLength.why}`,
                )
              : dnsLabelSchema,
          })
        : metadataSchema,
      spec,
      relations: z.array(z.unknown()).optional(),
    })
    .superRefine((entity, ctx) => {
      const annotations = entity.metadata.annotations ?? {};
      if (
        options.kubernetes &&
        !annotations[KUBERNETES_ID_ANNOTATION] &&
        !annotations[KUBERNETES_LABEL_SELECTOR_ANNOTATION]
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['metadata', 'annotations'],
          message: `must set "${KUBERNETES_ID_ANNOTATION}" or "${KUBERNETES_LABEL_SELECTOR_ANNOTATION}" so the Kubernetes plugin finds its workloads`,
        });
      }
    });
}
