import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { planOncePerRun } from '../planOncePerRun';
import { checkGpuFit } from '@cellport/plugin-platform-common';
import { buildInferenceDeployment } from './buildInferenceDeployment';
import { examples } from './planInferenceDeployment.examples';

/**
 * `cellport:inference:plan` checks a planned vLLM deployment before anything is written: the
 * spec against the platform schema, that its cell exists and its name is free, and that one
 * replica fits its GPUs. What cannot fit is refused with how much memory is missing; thin
 * headroom is a warning. It has no side effects, so it runs the same in a dry run.
 */
export function createPlanInferenceDeploymentAction(options: {
  catalog: CatalogService;
}) {
  return createTemplateAction({
    id: 'cellport:inference:plan',
    description:
      'Validates a vLLM inference deployment and checks that it fits its GPUs (weights, KV cache, overhead).',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .describe('Name of the deployment and of its model profile'),
        owner: z => z.string().describe('Owning group'),
        cell: z => z.string().describe('Cell to run in'),
        model: z =>
          z
            .string()
            .describe('Model repository id, e.g. Qwen/Qwen2.5-32B-Instruct'),
        parametersBillions: z => z.number().positive().optional(),
        precision: z => z.string(),
        gpuType: z => z.string(),
        gpuCount: z => z.number().int(),
        tensorParallelism: z => z.number().int(),
        maxContextLength: z => z.number().int(),
        maxConcurrentSequences: z => z.number().int(),
        minReplicas: z => z.number().int(),
        maxReplicas: z => z.number().int(),
        targetQueueDepth: z => z.number().int().optional(),
      },
      output: {
        entity: z => z.record(z.any()),
        cellRegion: z => z.string(),
        fit: z => z.enum(['fits', 'thin']),
        message: z => z.string(),
        perGpuGiB: z => z.number(),
        headroomGiB: z => z.number(),
      },
    },
    async handler(ctx) {
      // Only the catalog checks need to stand for a retry; the fit is worked out again.
      const { entity, cellRegion } = await planOncePerRun(
        ctx,
        `inference-${ctx.input.name}`,
        async () => {
          const deployment = buildInferenceDeployment(ctx.input);
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
          if (takenDeployment || takenProfile) {
            throw new InputError(
              `name: "${deployment.metadata.name}" is already used by ${
                takenDeployment ? 'an InferenceDeployment' : 'a ModelProfile'
              } in the catalog`,
            );
          }
          return {
            entity: deployment,
            cellRegion: String(
              (cell.spec as { region?: string })?.region ?? '',
            ),
          };
        },
      );
      const fit = checkGpuFit(entity.spec);
      if (fit.verdict === 'does-not-fit') {
        throw new InputError(fit.message);
      }
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
