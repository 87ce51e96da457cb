import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  classificationSchema,
  formatValidationIssues,
  PLATFORM_API_VERSION,
  qualityTierSchema,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import {
  INFERENCE_NAMESPACE,
  manifestsToYaml,
  renderInferenceManifests,
  validateManifests,
} from '@cellport/plugin-platform-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { platformSchema } from '../platformSchema';
import { examples } from './renderInferenceDeployment.examples';

/**
 * `cellport:inference:render` writes a planned deployment into the workspace: the
 * InferenceDeployment and the ModelProfile it provides (`catalog-info.yaml`, so the gateway
 * can route to it once registered) and its Kubernetes manifests (`kubernetes/`), from the one
 * manifest renderer. Writing the workspace is what a dry run shows, so it runs in dry runs too.
 */
export function createRenderInferenceDeploymentAction() {
  return createTemplateAction({
    id: 'cellport:inference:render',
    description:
      'Writes an InferenceDeployment, its ModelProfile and its vLLM manifests into the workspace.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entity: z =>
          z
            .record(z.any())
            .describe('The entity cellport:inference:plan returned'),
        cellRegion: z => z.string(),
        qualityTier: z => platformSchema(z, qualityTierSchema).optional(),
        maxClassification: z =>
          platformSchema(z, classificationSchema).optional(),
      },
      output: {
        modelProfileRef: z => z.string(),
        files: z => z.array(z.string()),
      },
    },
    async handler(ctx) {
      const parsed = validatePlatformEntity(
        'InferenceDeployment',
        ctx.input.entity,
      );
      if (!parsed.ok) {
        throw new InputError(
          `entity: ${formatValidationIssues(parsed.issues)}`,
        );
      }
      const deployment = parsed.entity;
      const { name } = deployment.metadata;
      const cell = deployment.spec.cell.replace(/^cell:(default\/)?/i, '');
      const profile = validatePlatformEntity('ModelProfile', {
        apiVersion: PLATFORM_API_VERSION,
        kind: 'ModelProfile',
        metadata: {
          name,
          title: `${deployment.metadata.title ?? name} in ${cell}`,
          description: `Served by the ${name} InferenceDeployment; priced by GPU time.`,
        },
        spec: {
          owner: deployment.spec.owner,
          provider: 'vllm',
          model: deployment.spec.model.name,
          endpoint: `http://${name}.${INFERENCE_NAMESPACE}.svc.cluster.local:8000/v1`,
          region: ctx.input.cellRegion,
          qualityTier: ctx.input.qualityTier ?? 'standard',
          capabilities: {
            contextLength: deployment.spec.maxContextLength,
            maxOutputTokens: Math.min(4096, deployment.spec.maxContextLength),
            features: ['tools', 'json-mode'],
          },
          pricing: { inputPerMillionUsd: 0, outputPerMillionUsd: 0 },
          maxClassification: ctx.input.maxClassification ?? 'CONFIDENTIAL',
          dataRetention: { days: 0, usedForTraining: false },
        },
      });
      if (!profile.ok) {
        throw new InputError(formatValidationIssues(profile.issues));
      }

      const manifests = renderInferenceManifests({ deployment, cell });
      const problems = validateManifests(manifests);
      if (problems.length) {
        throw new InputError(
          `rendered manifests are invalid: ${problems
            .map(p => `${p.object}: ${p.message}`)
            .join('; ')}`,
        );
      }
      const files = {
        'catalog-info.yaml': [ctx.input.entity, profile.entity]
          .map(e => stringify(e))
          .join('---\n'),
        [`kubernetes/${name}.yaml`]: manifestsToYaml(manifests),
      };
      for (const [file, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(ctx.workspacePath, file)), {
          recursive: true,
        });
        await fs.writeFile(path.join(ctx.workspacePath, file), content);
      }
      ctx.output('modelProfileRef', `modelprofile:default/${name}`);
      ctx.output('files', Object.keys(files));
    },
  });
}
