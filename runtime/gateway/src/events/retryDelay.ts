/**
 * The wait before the next delivery attempt: exponential from 100 ms up to `maxMs`, then a
 * random point in its upper half ("equal jitter"). Without the jitter, replicas that failed
 * together in a portal outage would all retry in the same instant when it comes back.
 */
export function retryDelayMs(
  failures: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, 100 * 2 ** Math.min(failures, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
