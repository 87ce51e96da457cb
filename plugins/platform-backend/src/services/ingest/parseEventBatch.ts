import { InputError } from '@backstage/errors';
import {
  eventBatchSchema,
  formatValidationIssues,
  PlatformEvent,
  toValidationIssues,
} from '@cellport/plugin-platform-common';

/** At most this many issues are spelled out; a batch that is wrong everywhere stays readable. */
const MAX_ISSUES = 5;

/**
 * Validates a posted batch against the event contract. A bad batch is rejected whole with an
 * InputError naming each offending event by index and field, e.g.
 * `events[3].timestamp: must be an ISO 8601 timestamp`, so nothing of it is half-stored.
 */
export function parseEventBatch(body: unknown): PlatformEvent[] {
  // With the input on each issue, a wrongly typed field reads apart from a missing one.
  const result = eventBatchSchema.safeParse(body, { reportInput: true });
  if (result.success) {
    return result.data.events;
  }
  const issues = toValidationIssues(result.error);
  const shown = formatValidationIssues(issues.slice(0, MAX_ISSUES));
  const more =
    issues.length > MAX_ISSUES
      ? ` (and ${issues.length - MAX_ISSUES} more)`
      : '';
  throw new InputError(`Invalid event batch: ${shown}${more}`);
}
