const HOUR = 3600_000;

/** The reader's time zone, unless a test names one. */
const localZone = () => new Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * Short x-axis label of a time in the reader's time zone: hours and minutes within half a day,
 * date and time up to two days (so 08:00 yesterday and 08:00 today differ), else the date.
 */
export function bucketLabel(
  iso: string,
  spanMs: number,
  timeZone: string = localZone(),
): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(d)
      .map(p => [p.type, p.value]),
  );
  const time = `${parts.hour}:${parts.minute}`;
  const date = `${parts.month}-${parts.day}`;
  if (spanMs <= 12 * HOUR) return time;
  if (spanMs <= 48 * HOUR) return `${date} ${time}`;
  return date;
}

/** The reader's time zone, to name beside charts whose labels are in it. */
export function readerTimeZone(): string {
  return localZone();
}
