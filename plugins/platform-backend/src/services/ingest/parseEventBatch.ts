import { InputError } from '@backstage/errors';
import {
  eventBatchSchema,
  formatValidationIssues,
  PlatformEvent,
  platformEventSchema,
  toValidationIssues,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';

/** At most this many issues are spelled out; a batch that is wrong everywhere stays readable. */
const MAX_ISSUES = 5;

/** An event of a batch that breaks the contract, by its place in the batch. */
export interface EventRejection {
  index: number;
  /** Each offending field and what is wrong, e.g. `events[3].timestamp: must be ...`. */
  message: string;
}

export interface ParsedEventBatch {
  events: PlatformEvent[];
  rejections: EventRejection[];
}

const batchEnvelopeSchema = z.object({
  events: z.array(z.unknown()).min(1).max(5000),
});

function described(error: z.ZodError, prefix = ''): string {
  const issues = toValidationIssues(error).map(issue => ({
    ...issue,
    path: [prefix, issue.path]
      .filter(Boolean)
      .join(issue.path.startsWith('[') ? '' : '.'),
  }));
  const more =
    issues.length > MAX_ISSUES
      ? ` (and ${issues.length - MAX_ISSUES} more)`
      : '';
  return `${formatValidationIssues(issues.slice(0, MAX_ISSUES))}${more}`;
}

/**
 * Validates a posted batch against the event contract, event by event: the events that keep
 * it are stored, each one that breaks it is rejected alone, named by index and field. A
 * batch holds a thousand requests' events: one a gateway of another version wrote (a value
 * this portal does not know yet) must not take the others with it, as they would never be
 * sent again. Throws an InputError, storing nothing, when the body is no batch at all or no
 * event of it is valid.
 */
export function parseEventBatch(
  body: unknown,
  notBeforeMs?: number,
): ParsedEventBatch {
  // The whole batch in one pass first: the common case, every event valid.
  const whole = eventBatchSchema.safeParse(body, { reportInput: true });
  if (whole.success) {
    return notBeforeMs === undefined
      ? { events: whole.data.events, rejections: [] }
      : withinRetention(whole.data.events, notBeforeMs);
  }
  const envelope = batchEnvelopeSchema.safeParse(body, { reportInput: true });
  if (!envelope.success) {
    throw new InputError(`Invalid event batch: ${described(envelope.error)}`);
  }
  const events: PlatformEvent[] = [];
  const rejections: EventRejection[] = [];
  const indexes: number[] = [];
  envelope.data.events.forEach((event, index) => {
    const parsed = platformEventSchema.safeParse(event, { reportInput: true });
    if (parsed.success) {
      events.push(parsed.data);
      indexes.push(index);
    } else {
      rejections.push({
        index,
        message: described(parsed.error, `events[${index}]`),
      });
    }
  });
  if (notBeforeMs !== undefined && events.length > 0) {
    const kept = withinRetention(events, notBeforeMs, indexes);
    events.length = 0;
    events.push(...kept.events);
    rejections.push(...kept.rejections);
    rejections.sort((a, b) => a.index - b.index);
  }
  if (events.length === 0) {
    const shown = rejections
      .slice(0, MAX_ISSUES)
      .map(r => r.message)
      .join('; ');
    const more =
      rejections.length > MAX_ISSUES
        ? ` (and ${rejections.length - MAX_ISSUES} more events)`
        : '';
    throw new InputError(`Invalid event batch: ${shown}${more}`);
  }
  return { events, rejections };
}

/**
 * Events stamped before `notBeforeMs` are refused: the portal may have stored and purged them
 * already (raw events are kept for a while, rollups longer), and their ids would not stop a
 * replay from being counted again. `indexes`: each event's place in the batch, when some were
 * left out already.
 */
function withinRetention(
  events: PlatformEvent[],
  notBeforeMs: number,
  indexes?: number[],
): ParsedEventBatch {
  const kept: PlatformEvent[] = [];
  const rejections: EventRejection[] = [];
  events.forEach((event, i) => {
    if (Date.parse(event.timestamp) >= notBeforeMs) {
      kept.push(event);
      return;
    }
    const index = indexes?.[i] ?? i;
    rejections.push({
      index,
      message: `events[${index}].timestamp: is before ${new Date(
        notBeforeMs,
      ).toISOString()}, the oldest raw events the portal keeps: it may have been counted and purged already, so it is not counted again`,
    });
  });
  if (kept.length === 0) {
    throw new InputError(
      `Invalid event batch: ${rejections
        .slice(0, MAX_ISSUES)
        .map(r => r.message)
        .join('; ')}`,
    );
  }
  return { events: kept, rejections };
}

/**
 * Rejections for the events the database refused (`IngestService.ingestIsolating`), named by
 * their place in the posted batch, as the contract's rejections are.
 */
export function unstorableRejections(
  body: unknown,
  unstorable: Array<{ id: string; reason: string }>,
): EventRejection[] {
  if (unstorable.length === 0) return [];
  const posted = (body as { events?: Array<{ id?: unknown }> }).events ?? [];
  return unstorable.map(({ id, reason }) => {
    const index = posted.findIndex(event => event?.id === id);
    return {
      index,
      message: `events[${index}]: the database could not store it: ${reason}`,
    };
  });
}
