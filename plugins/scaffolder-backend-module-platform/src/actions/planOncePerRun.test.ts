import { fakeCheckpoints } from '../__testUtils__/fakeCheckpoints';
import { planOncePerRun } from './planOncePerRun';

function runWithCheckpoints(isDryRun = false) {
  return { isDryRun, ...fakeCheckpoints() } as any;
}

describe('planOncePerRun', () => {
  it("checks once: a retry gets the first attempt's plan without checking again", async () => {
    const ctx = runWithCheckpoints();
    const plan = jest
      .fn()
      .mockResolvedValueOnce({ tenant: 'harbor-freight', cell: undefined })
      .mockRejectedValue(new Error('name: a tenant "harbor-freight" exists'));
    const first = await planOncePerRun(ctx, 'tenant-harbor-freight', plan);
    const retried = await planOncePerRun(ctx, 'tenant-harbor-freight', plan);
    expect(retried).toEqual(first);
    // As the checkpoint keeps it, through JSON, on the first attempt too.
    expect(first).toEqual({ tenant: 'harbor-freight' });
    expect(plan).toHaveBeenCalledTimes(1);
    expect([...ctx.kept.keys()]).toEqual(['plan-tenant-harbor-freight']);
  });

  it('keeps nothing from a plan that failed, so a retry checks again', async () => {
    const ctx = runWithCheckpoints();
    const plan = jest
      .fn()
      .mockRejectedValueOnce(new Error('cell: no room left'))
      .mockResolvedValue({ tenant: 'harbor-freight' });
    await expect(planOncePerRun(ctx, 'tenant-x', plan)).rejects.toThrow(
      'cell: no room left',
    );
    await expect(planOncePerRun(ctx, 'tenant-x', plan)).resolves.toEqual({
      tenant: 'harbor-freight',
    });
  });

  it('always checks in a dry run', async () => {
    const ctx = runWithCheckpoints(true);
    const plan = jest.fn().mockResolvedValue({ ok: true });
    await planOncePerRun(ctx, 'tenant-x', plan);
    await planOncePerRun(ctx, 'tenant-x', plan);
    expect(plan).toHaveBeenCalledTimes(2);
    expect(ctx.kept.size).toBe(0);
  });
});
