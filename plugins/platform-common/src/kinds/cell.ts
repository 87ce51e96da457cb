import { z } from 'zod';
import {
  cloudSchema,
  dnsLabelSchema,
  entityRefSchema,
  isolationSchema,
  regionSchema,
} from './common';
import { boundedInt, boundedNumber } from './bounds';
import { platformEntitySchema } from './entity';
import { serviceSlosSchema } from './serviceSlos';
import { sloObjectiveSchema } from './slo';
import { cellServiceSlos } from '../slo/cellServiceSlos';
import { runtimeService } from '../slo/runtimeServices';

/**
 * An objective's name is its `slo` label on the cell's rules, alerts and OpenSLO export, so
 * it names one objective: no two `spec.slos` alike, none another service's built-in one.
 */
function checkSloNames(
  spec: Pick<CellSpec, 'owner' | 'slos' | 'serviceSlos'>,
  ctx: z.RefinementCtx,
) {
  // Without `slos` of its own, a cell's objectives are the other services' built-in ones.
  const builtIn = cellServiceSlos({ spec: { ...spec, slos: [] } });
  const first = new Map<string, number>();
  (spec.slos ?? []).forEach(({ name }, i) => {
    const issue = (message: string) =>
      ctx.addIssue({ code: 'custom', path: ['slos', i, 'name'], message });
    const earlier = first.get(name);
    const other = builtIn.find(slo => slo.name === name);
    if (earlier !== undefined) {
      issue(`"${name}" is already the name of spec.slos[${earlier}]`);
      return;
    }
    first.set(name, i);
    if (other) {
      issue(
        `"${name}" is already the name of the ${
          runtimeService(other.service).title
        }'s ${other.indicator} objective (spec.serviceSlos.${other.service})`,
      );
    }
  });
}

/**
 * A self-contained deployment of the platform stack (seed 000). Dedicated and customer-VPC
 * cells host exactly one tenant; shared cells host many, one namespace each.
 */
export const cellSpecSchema = z
  .object({
    owner: entityRefSchema,
    tier: isolationSchema,
    cloud: cloudSchema,
    region: regionSchema,
    /** The cluster's name in the `kubernetes` section of app-config. */
    cluster: dnsLabelSchema,
    namespaces: z
      .array(dnsLabelSchema)
      .min(1, 'must list at least one namespace'),
    capacity: z.object({
      /** Namespaces per cluster run out long before 10,000 tenants. */
      maxTenants: boundedInt({ min: 0, exclusiveMin: true, max: 10_000 }),
      /** A million requests a second is more than any one cell's gateways serve. */
      maxRequestsPerSecond: boundedNumber({
        min: 0,
        exclusiveMin: true,
        max: 1_000_000,
      }),
      /** The cell's GPU pool; 0 means none, and no InferenceDeployment fits. 100,000 is a large cloud region. */
      gpus: boundedInt({ min: 0, max: 100_000 }).default(0),
    }),
    tenants: z.array(entityRefSchema).default([]),
    /** Where the cell's gateway control API answers; the reconciler pushes desired state there. */
    gateway: z
      .object({ baseUrl: z.url({ error: 'must be an http(s) URL' }) })
      .optional(),
    /** The AI Gateway's and LLM Router's objectives (event SLIs); seed 001's when absent. */
    slos: z.array(sloObjectiveSchema).optional(),
    /** The other runtime services' objectives where they differ from seed 001's table. */
    serviceSlos: serviceSlosSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.tier !== 'shared' && spec.tenants.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenants'],
        message: `a ${spec.tier} cell hosts exactly one tenant, found ${spec.tenants.length}`,
      });
    }
    if (spec.tenants.length > spec.capacity.maxTenants) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenants'],
        message: `hosts ${spec.tenants.length} tenants, more than capacity.maxTenants (${spec.capacity.maxTenants})`,
      });
    }
    checkSloNames(spec, ctx);
  });

export const cellEntitySchema = platformEntitySchema('Cell', cellSpecSchema, {
  dnsName: true,
  kubernetes: true,
});

export type CellSpec = z.infer<typeof cellSpecSchema>;
export type CellEntity = z.infer<typeof cellEntitySchema>;
