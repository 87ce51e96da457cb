/**
 * Polls `probe` until it returns a value (not undefined), at most until `deadlineMs` has
 * passed; then fails with `describe()`, which says what was last seen. The deadline is a
 * bound on waiting, never the thing tested.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { deadlineMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const end = Date.now() + options.deadlineMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) {
      throw new Error(`Gave up waiting: ${options.describe()}`);
    }
    await new Promise(resolve =>
      setTimeout(resolve, options.intervalMs ?? 500),
    );
  }
}
