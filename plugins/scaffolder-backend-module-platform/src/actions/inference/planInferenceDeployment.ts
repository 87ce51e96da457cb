import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  CellForGpuPool,
  checkCellGpuPool,
  checkContextLength,
  checkGpuFit,
  contextLengthSchema,
  DeploymentForGpuPool,
  gpuTypeSchema,
  inferenceDeploymentSpecSchema,
  precisionSchema,
} from '@cellport/plugin-platform-common';
import type { z as zod } from 'zod/v3';
import { platformSchema } from '../platformSchema';
import { planOncePerRun } from '../planOncePerRun';
import { buildInferenceDeployment } from './buildInferenceDeployment';
import { examples } from './planInferenceDeployment.examples';

const spec = inferenceDeploymentSpecSchema.shape;

/** What the inference-deployment form asks: choices and bounds are the kind's own. */
export const inferenceDeploymentInput = (z: typeof zod) =>
  z.object({
    name: z
      .string()
      .describe('Name of the deployment and of its model profile'),
    owner: z.string().describe('Owning group'),
    cell: z.string().describe('Cell to run in'),
    model: z
      .string()
      .describe('Model repository id, e.g. Qwen/Qwen2.5-32B-Instruct'),
    parametersBillions: platformSchema(
      z,
      spec.model.shape.parametersBillions,
    ).optional(),
    modelMaxContextLength: platformSchema(z, contextLengthSchema)
      .optional()
      .describe(
        "The model's maximum context length, for a model the platform does not know",
      ),
    precision: platformSchema(z, precisionSchema),
    gpuType: platformSchema(z, gpuTypeSchema),
    gpuCount: platformSchema(z, spec.gpu.shape.count),
    tensorParallelism: platformSchema(z, spec.tensorParallelism),
    maxContextLength: platformSchema(z, contextLengthSchema),
    maxConcurrentSequences: platformSchema(
      z,
      spec.maxConcurrentSequences.removeDefault(),
    ),
    minReplicas: platformSchema(z, spec.replicas.shape.min),
    maxReplicas: platformSchema(z, spec.replicas.shape.max),
    targetQueueDepth: platformSchema(
      z,
      spec.replicas.shape.targetQueueDepth.removeDefault(),
    ).optional(),
  });

export type InferenceDeploymentInput = zod.infer<
  ReturnType<typeof inferenceDeploymentInput>
>;

/**
 * `cellport:inference:plan` checks a planned vLLM deployment before anything is written: the
 * spec against the platform schema, that its cell exists and its name is free, that its cell's
 * GPU pool holds it next to the cell's other deployments (all at max replicas), that its max
 * context is within its model's, and that one replica fits its GPUs. Each refusal names the
 * numbers; thin headroom is a warning. It has no side effects, so it runs the same in a dry run.
 */
export function createPlanInferenceDeploymentAction(options: {
  catalog: CatalogService;
}) {
  return createTemplateAction({
    id: 'cellport:inference:plan',
    description:
      "Validates a vLLM inference deployment and checks that it fits its cell's GPU pool, its model's context length and its GPUs (weights, KV cache, overhead).",
    examples,
    supportsDryRun: true,
    schema: {
      input: inferenceDeploymentInput,
      output: z =>
        z.object({
          entity: z.record(z.any()),
          cellRegion: z.string(),
          fit: z.enum(['fits', 'thin']),
          message: z.string(),
          perGpuGiB: z.number(),
          headroomGiB: z.number(),
        }),
    },
    async handler(ctx) {
      // What the answers alone decide comes first, so a deployment that cannot run anywhere
      // is refused for that, before the cell's pool is looked at.
      const planned = buildInferenceDeployment(ctx.input);
      const context = checkContextLength({
        model: planned.spec.model.name,
        maxContextLength: planned.spec.maxContextLength,
        modelMaxContextLength: ctx.input.modelMaxContextLength,
      });
      if (context.verdict === 'too-long') throw new InputError(context.message);
      if (context.verdict === 'unchecked') ctx.logger.warn(context.message);
      const fit = checkGpuFit(planned.spec);
      if (fit.verdict === 'does-not-fit') {
        throw new InputError(fit.message);
      }

      // Only the catalog checks need to stand for a retry; the rest is worked out again.
      const { entity, cellRegion, pool } = await planOncePerRun(
        ctx,
        `inference-${ctx.input.name}`,
        async () => {
          const deployment = planned;
          const credentials = await ctx.getInitiatorCredentials();
          const cellRef = stringifyEntityRef(
            parseEntityRef(deployment.spec.cell, {
              defaultKind: 'Cell',
              defaultNamespace: 'default',
            }),
          );
          const [cell, takenDeployment, takenProfile] = (
            await options.catalog.getEntitiesByRefs(
              {
                entityRefs: [
                  cellRef,
                  `inferencedeployment:default/${deployment.metadata.name}`,
                  `modelprofile:default/${deployment.metadata.name}`,
                ],
              },
              { credentials },
            )
          ).items;
          if (!cell) {
            throw new InputError(
              `cell: ${cellRef} does not exist in the catalog`,
            );
          }
          if (cell.kind !== 'Cell') {
            throw new InputError(`cell: ${cellRef} is not a Cell`);
          }
          // The catalog's own spelling: names match without regard to case there, not in
          // every rule that adds up a cell's GPUs.
          deployment.spec.cell = cell.metadata.name;
          if (takenDeployment || takenProfile) {
            throw new InputError(
              `name: "${deployment.metadata.name}" is already used by ${
                takenDeployment ? 'an InferenceDeployment' : 'a ModelProfile'
              } in the catalog`,
            );
          }
          // Every deployment the cell already runs, each at its max replicas.
          const { items: deployments } = await options.catalog.getEntities(
            { filter: { kind: 'InferenceDeployment' } },
            { credentials },
          );
          const poolCheck = checkCellGpuPool({
            cell: cell as unknown as CellForGpuPool,
            deployments: deployments as unknown as DeploymentForGpuPool[],
            planned: deployment,
          });
          if (!poolCheck.ok) throw new InputError(poolCheck.message);
          return {
            pool: poolCheck.message,
            entity: deployment,
            cellRegion: String(
              (cell.spec as { region?: string })?.region ?? '',
            ),
          };
        },
      );
      ctx.logger.info(pool);
      if (fit.verdict === 'thin') {
        ctx.logger.warn(fit.message);
      } else {
        ctx.logger.info(fit.message);
      }
      ctx.output('entity', entity);
      ctx.output('cellRegion', cellRegion);
      ctx.output('fit', fit.verdict);
      ctx.output('message', fit.message);
      ctx.output('perGpuGiB', Number(fit.perGpuGiB.toFixed(1)));
      ctx.output('headroomGiB', Number(fit.headroomGiB.toFixed(1)));
    },
  });
}
