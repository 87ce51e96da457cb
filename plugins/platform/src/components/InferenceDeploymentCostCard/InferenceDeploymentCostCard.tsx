import { parseEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { InferenceDeploymentSpec } from '@cellport/plugin-platform-common';
import { GpuCostCard } from '../GpuCostCard';
import { TimeRangePicker } from '../TimeRangePicker';

/** An inference deployment's GPU-hours and cost, on its overview tab. */
export function InferenceDeploymentCostCard() {
  const { entity } = useEntity();
  const spec = entity.spec as unknown as InferenceDeploymentSpec;
  const cell = spec?.cell
    ? parseEntityRef(spec.cell, { defaultKind: 'cell' }).name
    : undefined;
  return (
    <GpuCostCard
      cell={cell}
      deployment={entity.metadata.name}
      action={<TimeRangePicker />}
    />
  );
}
