import { CostBreakdown } from '../../api';

/** One group's cost in the range against the range of the same length just before it. */
export interface CostChange {
  key: string;
  currentUsd: number;
  previousUsd: number;
  deltaUsd: number;
  /** Relative change; null when the previous range cost nothing. */
  deltaFraction: number | null;
}

export interface CostComparison {
  total: CostChange;
  /** Groups whose cost moved most, in either direction, largest first. */
  movers: CostChange[];
}

/** The range of the same length that ends where `range` starts. */
export function previousRange(range: { from: string; to: string }) {
  const from = Date.parse(range.from);
  const span = Date.parse(range.to) - from;
  return {
    from: new Date(from - span).toISOString(),
    to: new Date(from).toISOString(),
  };
}

function change(key: string, currentUsd: number, previousUsd: number) {
  return {
    key,
    currentUsd,
    previousUsd,
    deltaUsd: currentUsd - previousUsd,
    deltaFraction:
      previousUsd > 0 ? (currentUsd - previousUsd) / previousUsd : null,
  };
}

/** Compares two breakdowns grouped the same way; groups absent from one cost nothing there. */
export function compareCost(
  current: CostBreakdown,
  previous: CostBreakdown,
  limit = 5,
): CostComparison {
  const costs = (b: CostBreakdown) =>
    new Map(b.groups.map(g => [g.key, g.costUsd]));
  const now = costs(current);
  const before = costs(previous);
  const movers = [...new Set([...now.keys(), ...before.keys()])]
    .map(key => change(key, now.get(key) ?? 0, before.get(key) ?? 0))
    .filter(c => c.deltaUsd !== 0)
    .sort((a, b) => Math.abs(b.deltaUsd) - Math.abs(a.deltaUsd))
    .slice(0, limit);
  return {
    total: change('total', current.totalUsd, previous.totalUsd),
    movers,
  };
}
