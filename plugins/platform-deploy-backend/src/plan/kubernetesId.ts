import { InputError } from '@backstage/errors';
import { KUBERNETES_ID_ANNOTATION } from '@cellport/plugin-platform-common';
import { kubernetesLabelValueProblem } from '@cellport/plugin-platform-node';

/**
 * Refuses an entity whose kubernetes-id annotation cannot be a label value. The renderers label
 * every object with it and the plan lists the cluster by it, so the API server would refuse
 * both, and the cluster's error would read as the cluster failing rather than the entity.
 */
export function assertKubernetesId(
  entityRef: string,
  entity: { metadata: { annotations?: Record<string, string> } },
): void {
  const id = entity.metadata.annotations?.[KUBERNETES_ID_ANNOTATION];
  const problem =
    id === undefined ? undefined : kubernetesLabelValueProblem(id);
  if (problem) {
    throw new InputError(
      `${entityRef}: metadata.annotations[${JSON.stringify(
        KUBERNETES_ID_ANNOTATION,
      )}]: ${problem}`,
    );
  }
}
