/** Number formats with units, the same on every view. */

const NONE = '—';

/**
 * Money with one precision per magnitude, the same on every view: whole dollars from $1,000
 * ($2,500, $40,000), cents below ($0.91, $12.30), and two significant digits under a cent,
 * where single requests cost fractions of a cent ($0.0053), so they do not read as "$0.00".
 */
export function formatUsd(value: number | undefined | null): string {
  if (value === undefined || value === null) return NONE;
  const magnitude = Math.abs(value);
  if (magnitude > 0 && magnitude < 0.01)
    return value.toLocaleString('en-US', {
      style: 'currency',
      currency: 'USD',
      maximumSignificantDigits: 2,
    });
  const digits = magnitude >= 1000 ? 0 : 2;
  return value.toLocaleString('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function formatMs(value: number | undefined | null): string {
  if (value === undefined || value === null) return NONE;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  // Router decisions take hundredths of a millisecond; keep them visible.
  let digits = 0;
  if (value < 1) digits = 2;
  else if (value < 10) digits = 1;
  return `${value.toFixed(digits)} ms`;
}

/** A fraction (0.9995) as a percentage ("99.95%"). */
export function formatPercent(
  fraction: number | undefined | null,
  digits = 2,
): string {
  if (fraction === undefined || fraction === null || !isFinite(fraction))
    return NONE;
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatCount(value: number | undefined | null): string {
  if (value === undefined || value === null) return NONE;
  return value.toLocaleString('en-US');
}

export function formatTokens(value: number | undefined | null): string {
  if (value === undefined || value === null) return NONE;
  return `${formatCount(value)} tokens`;
}

/** A burn rate: how many times faster than sustainable the error budget burns. */
export function formatBurnRate(value: number | undefined | null): string {
  if (value === undefined || value === null) return NONE;
  let digits = 0;
  if (value < 10) digits = 2;
  else if (value < 100) digits = 1;
  return `${value.toFixed(digits)}×`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return NONE;
  return new Date(iso).toLocaleString('en-GB', {
    dateStyle: 'medium',
    timeStyle: 'medium',
    timeZone: 'UTC',
  });
}

/**
 * A moment a person acts before (a key's expiry), in the reader's own time zone and named,
 * e.g. "1 Dec 2026, 01:00:00 CET": nobody should convert from UTC to know their deadline.
 */
export function formatLocalTime(
  iso: string | undefined,
  timeZone?: string,
): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return NONE;
  return new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
    // The browser's own zone unless one is given.
    timeZone: timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone,
  });
}

/** A state version is a content hash; its first 12 characters identify it to a reader. */
export function shortVersion(version: string | undefined): string {
  return version ? version.slice(0, 12) : NONE;
}

/**
 * Error budget left (1 untouched, 0 spent). Past zero the percentage stops meaning much
 * (-291906%), so say it is exhausted and by how many budgets.
 */
export function formatBudgetLeft(fraction: number | undefined | null): string {
  if (fraction === undefined || fraction === null) return NONE;
  if (fraction >= 0) return formatPercent(fraction, 1);
  return `exhausted (${formatBurnRate(1 - fraction)} spent)`;
}

/** A timestamp in a table: sortable, compact, UTC ("2026-11-23 08:11:40"). */
export function formatShortTime(iso: string | undefined): string {
  if (!iso) return NONE;
  const d = new Date(iso);
  return isNaN(d.getTime())
    ? NONE
    : d.toISOString().slice(0, 19).replace('T', ' ');
}
