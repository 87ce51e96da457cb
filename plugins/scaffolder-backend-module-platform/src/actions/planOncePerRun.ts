import { ActionContext } from '@backstage/plugin-scaffolder-node';

/**
 * Runs a plan step's checks once per run. A retried run, or one started over after the
 * backend restarted, finds what its first attempt registered (its own tenant, agent or
 * deployment) in the catalog: the plan that attempt made stands, instead of the retry failing
 * on "already exists". A dry run has no checkpoints and always checks.
 */
export async function planOncePerRun<T extends object>(
  ctx: Pick<ActionContext<any, any>, 'isDryRun' | 'checkpoint'>,
  key: string,
  plan: () => Promise<T>,
): Promise<T> {
  // Through JSON, as the checkpoint keeps it: the first attempt and a retry see the same plan.
  const planAsJson = async () => JSON.parse(JSON.stringify(await plan()));
  if (ctx.isDryRun) return planAsJson();
  return ctx.checkpoint({ key: `plan-${key}`, fn: planAsJson });
}
