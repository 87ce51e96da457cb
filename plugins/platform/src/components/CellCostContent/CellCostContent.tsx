import { useEntity } from '@backstage/plugin-catalog-react';
import { CellSpec } from '@cellport/plugin-platform-common';
import Grid from '@material-ui/core/Grid';
import { BudgetCard } from '../BudgetCard';
import { CostCard } from '../CostCard';
import { relatedNames } from '../entityRefs';
import { GpuCostCard } from '../GpuCostCard';
import { PageToolbar } from '../PageToolbar';

/** The Cell's "Cost" tab: token cost stacked over time, its tenants' budgets, GPU cost. */
export function CellCostContent() {
  const { entity } = useEntity();
  const cell = entity.metadata.name;
  const related = relatedNames(entity, 'hosts', 'tenant');
  const tenants = related.length
    ? related
    : (entity.spec as unknown as CellSpec)?.tenants ?? [];
  return (
    <>
      <PageToolbar note="Budgets are per tenant and calendar month; a tenant's spend in other cells counts too." />
      <Grid container spacing={3}>
        <Grid item xs={12} lg={8}>
          <CostCard scope={{ cell }} />
        </Grid>
        <Grid item xs={12} lg={4}>
          <BudgetCard tenants={tenants} />
        </Grid>
        <Grid item xs={12}>
          <GpuCostCard cell={cell} />
        </Grid>
      </Grid>
    </>
  );
}
