const STEPS = [1, 2, 2.5, 5, 10];

/**
 * Round y-axis ticks that cover [low, high] with about `count` ticks: steps of 1, 2, 2.5 or 5
 * times a power of ten (0%, 25%, 50%…; −100%, −50%, 0%…), the domain widened to the outer
 * ticks so no value falls off the axis.
 */
export function niceTicks(
  [low, high]: [number, number],
  count = 5,
): { domain: [number, number]; ticks: number[] } {
  const raw = (high - low) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = magnitude * STEPS.find(s => s * magnitude >= raw * 0.999)!;
  // Rounding to the step's own precision keeps 0.1 + 0.2 from printing as 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const round = (v: number) => Number(v.toFixed(decimals));
  const first = Math.floor(low / step + 1e-9) * step;
  const last = Math.ceil(high / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step / 2; i++)
    ticks.push(round(first + i * step));
  return { domain: [round(first), round(last)], ticks };
}
