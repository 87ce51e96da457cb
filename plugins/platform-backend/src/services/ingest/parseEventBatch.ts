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
 * A rule of the caller's an event must keep besides the contract (the cells its sender may
 * speak for): what is wrong with it, after `events[i].`, or undefined.
 */
export type EventCheck = (event: PlatformEvent) => string | undefined;

/**
 * Validates a posted batch against the event contract, event by event: the events that keep
 * it are stored, each one that breaks it is rejected alone, named by index and field. A
 * batch holds a thousand requests' events: one a gateway of another version wrote (a value
 * this portal does not know yet) must not take the others with it, as they would never be
 * sent again. Refused too, by index: an event stamped before `notBeforeMs`, one that reuses
 * an earlier event's id with other content (an exact copy is a duplicate, stored once), and
 * one that fails `check`. Throws an InputError, storing nothing, when the body is no batch at
 * all or no event of it is valid.
 */
export function parseEventBatch(
  body: unknown,
  notBeforeMs?: number,
  check?: EventCheck,
): ParsedEventBatch {
  const { valid, rejections } = validEvents(body);
  const events: PlatformEvent[] = [];
  const firstById = new Map<string, { event: PlatformEvent; index: number }>();
  for (const { event, index } of valid) {
    const first = firstById.get(event.id);
    const problem = first
      ? reusedId(first, event)
      : tooOld(event, notBeforeMs) ?? check?.(event);
    if (problem) {
      rejections.push({ index, message: `events[${index}].${problem}` });
      continue;
    }
    if (!first) firstById.set(event.id, { event, index });
    events.push(event);
  }
  rejections.sort((a, b) => a.index - b.index);
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

/** The events that keep the contract, each with its place in the batch; the others refused. */
function validEvents(body: unknown): {
  valid: Array<{ event: PlatformEvent; index: number }>;
  rejections: EventRejection[];
} {
  // The whole batch in one pass first: the common case, every event valid.
  const whole = eventBatchSchema.safeParse(body, { reportInput: true });
  if (whole.success) {
    return {
      valid: whole.data.events.map((event, index) => ({ event, index })),
      rejections: [],
    };
  }
  const envelope = batchEnvelopeSchema.safeParse(body, { reportInput: true });
  if (!envelope.success) {
    throw new InputError(`Invalid event batch: ${described(envelope.error)}`);
  }
  const valid: Array<{ event: PlatformEvent; index: number }> = [];
  const rejections: EventRejection[] = [];
  envelope.data.events.forEach((event, index) => {
    const parsed = platformEventSchema.safeParse(event, { reportInput: true });
    if (parsed.success) valid.push({ event: parsed.data, index });
    else {
      rejections.push({
        index,
        message: described(parsed.error, `events[${index}]`),
      });
    }
  });
  return { valid, rejections };
}

/**
 * An event with an earlier one's id: a copy (a batch sent twice over) is a duplicate, stored
 * once; other content under the same id is refused, not silently dropped. Parsed by one
 * schema, two events with the same content serialize alike.
 */
function reusedId(
  first: { event: PlatformEvent; index: number },
  event: PlatformEvent,
): string | undefined {
  return JSON.stringify(first.event) === JSON.stringify(event)
    ? undefined
    : `id: reuses the id of events[${first.index}] with other content`;
}

/**
 * Events stamped before `notBeforeMs` are refused: the portal may have stored and purged them
 * already (raw events are kept for a while, rollups longer), and their ids would not stop a
 * replay from being counted again.
 */
function tooOld(
  event: PlatformEvent,
  notBeforeMs: number | undefined,
): string | undefined {
  if (notBeforeMs === undefined || Date.parse(event.timestamp) >= notBeforeMs) {
    return undefined;
  }
  return `timestamp: is before ${new Date(
    notBeforeMs,
  ).toISOString()}, the oldest raw events the portal keeps: it may have been counted and purged already, so it is not counted again`;
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
