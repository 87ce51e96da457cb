const HOUR = 3600_000;

/**
 * Short x-axis label of a time (UTC): hours and minutes within half a day, date and time up to
 * two days (so 08:00 yesterday and 08:00 today differ), else the date.
 */
export function bucketLabel(iso: string, spanMs: number): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const text = d.toISOString();
  if (spanMs <= 12 * HOUR) return text.slice(11, 16);
  if (spanMs <= 48 * HOUR) return `${text.slice(5, 10)} ${text.slice(11, 16)}`;
  return text.slice(5, 10);
}
