import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import {
  checkGpuFit,
  GPU_TYPES,
  GpuFit,
  inferenceDeploymentSpecSchema,
} from '@cellport/plugin-platform-common';
import { FactsTable } from '../FactsTable';

const gib = (n: number) => `${n.toFixed(1)} GiB`;

const VERDICT: Record<GpuFit['verdict'], string> = {
  fits: 'Fits',
  thin: 'Fits, thin headroom',
  'does-not-fit': 'Does not fit',
};

/**
 * How one replica of an InferenceDeployment uses each GPU's memory (weights, KV cache at its
 * max context and concurrency, runtime overhead) against what vLLM may use, with the headroom:
 * the same check the registration form and the plan run, read from the entity as it is now.
 */
export function GpuFitCard() {
  const { entity } = useEntity();
  // Only the spec decides the fit; other problems of the entity are the catalog's to report.
  const parsed = inferenceDeploymentSpecSchema.safeParse(entity.spec);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    return (
      <InfoCard title="GPU memory fit">
        <Typography color="error">
          {`This entity does not read as an InferenceDeployment, so its fit cannot be checked: spec.${issue.path.join(
            '.',
          )}: ${issue.message}`}
        </Typography>
      </InfoCard>
    );
  }
  const spec = parsed.data;
  const fit = checkGpuFit(spec);
  const gpu = GPU_TYPES[spec.gpu.type];
  const used = Math.min(1, fit.perGpuGiB / fit.usableGiB);
  const rows: Array<[string, string]> = [
    ['Verdict', VERDICT[fit.verdict]],
    ['GPUs per replica', `${spec.gpu.count} × ${gpu.displayName}`],
    [
      'Weights',
      `${gib(fit.weightsGiB)} (${spec.model.parametersBillions}B at ${
        spec.model.precision
      })`,
    ],
    [
      'KV cache',
      `${gib(fit.kvCacheGiB)} (${spec.maxContextLength.toLocaleString(
        'en-US',
      )} tokens × ${spec.maxConcurrentSequences} sequences${
        fit.exactKvCache ? '' : ', estimated'
      })`,
    ],
    ['Runtime overhead per GPU', gib(fit.overheadGiB)],
    ['Needed per GPU', gib(fit.perGpuGiB)],
    ['Usable per GPU', gib(fit.usableGiB)],
    ['Headroom per GPU', gib(fit.headroomGiB)],
  ];
  return (
    <InfoCard title="GPU memory fit" subheader="One replica, worst case">
      <LinearProgress
        variant="determinate"
        value={used * 100}
        color={fit.verdict === 'fits' ? 'primary' : 'secondary'}
        aria-label="GPU memory needed of usable"
      />
      <FactsTable label="GPU memory fit" rows={rows} />
      <Typography
        variant="body2"
        color={fit.verdict === 'does-not-fit' ? 'error' : 'textSecondary'}
      >
        {fit.message}
      </Typography>
    </InfoCard>
  );
}
