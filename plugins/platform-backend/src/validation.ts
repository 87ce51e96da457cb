import {
  dropReasonSchema,
  isStorableTime,
  outcomeSchema,
  STORABLE_YEARS_MESSAGE,
} from '@cellport/plugin-platform-common';
import { parseInput } from '@cellport/plugin-platform-node';
import { InputError } from '@backstage/errors';
import type { RequestHandler } from 'express';
import { z } from 'zod';

export { parseInput };

/** Go's zero time, Alertmanager's `endsAt` of an alert still firing. */
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/**
 * Whether an alert's `endsAt` names an end: anything but Go's zero time, so that a time that
 * does not parse (a leap second) is checked, and refused, rather than read as no end.
 */
export function namesAnEnd(endsAt: string): boolean {
  return Date.parse(endsAt) !== GO_ZERO_TIME_MS;
}

/**
 * Each alert's `startsAt`, and `endsAt` once it names an end, must be a time that exists (the
 * document's `date-time` format takes a leap second, `23:59:60`, or the 31st of February,
 * which no timestamp column stores) in the years the portal stores: a year-9999 start would
 * sort first in every list. Alertmanager's `endsAt` of a firing alert is Go's zero time,
 * `0001-01-01T00:00:00Z`, before 1970: no end yet, as AlertStore reads it.
 */
export function checkAlertTimes(
  alerts: Array<{ startsAt: string; endsAt: string }>,
): void {
  const wrong = alerts.flatMap((alert, i) => {
    const times = namesAnEnd(alert.endsAt)
      ? ['startsAt', 'endsAt']
      : ['startsAt'];
    return times.flatMap(field => {
      const value = alert[field as 'startsAt' | 'endsAt'];
      const ms = existingTime(value);
      if (ms === undefined) {
        return [`alerts.${i}.${field}: must be a time that exists`];
      }
      return isStorableTime(ms)
        ? []
        : [`alerts.${i}.${field}: ${STORABLE_YEARS_MESSAGE}`];
    });
  });
  if (wrong.length > 0) {
    throw new InputError(`Invalid body: ${wrong.slice(0, 5).join('; ')}`);
  }
}

/** The time a `date-time` names, or undefined when its fields name none (or another). */
export function existingTime(value: string): number | undefined {
  const fields = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})/.exec(
    value,
  );
  const ms = Date.parse(value);
  if (!fields || !Number.isFinite(ms)) return undefined;
  const [, year, month, day, hour, minute, second] = fields.map(Number);
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return local.getUTCFullYear() === year &&
    local.getUTCMonth() === month - 1 &&
    local.getUTCDate() === day &&
    local.getUTCHours() === hour &&
    local.getUTCMinutes() === minute &&
    local.getUTCSeconds() === second
    ? ms
    : undefined;
}

/**
 * A NUL character in a query value, the path or a JSON body is refused by name before any
 * route runs: PostgreSQL can neither store nor compare text holding one, and the query would
 * fail with a 500.
 */
export function refuseNulCharacters(): RequestHandler {
  return (req, _res, next) => {
    let url: URL;
    try {
      url = new URL(req.originalUrl, 'http://portal');
    } catch {
      // A target URL cannot read (an absolute-form one with a bad port): the routes answer it.
      next();
      return;
    }
    for (const [param, value] of url.searchParams) {
      if (value.includes('\u0000')) {
        next(
          new InputError(
            `Invalid query: ${param}: must not hold a NUL character`,
          ),
        );
        return;
      }
    }
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      // Not percent-encoded text: the route's own checks answer it.
    }
    if (path.includes('\u0000')) {
      next(new InputError('Invalid path: must not hold a NUL character'));
      return;
    }
    const inBody = nulInBody(req.body);
    if (inBody !== undefined) {
      next(
        new InputError(
          `Invalid body: ${inBody || '(root)'}: must not hold a NUL character`,
        ),
      );
      return;
    }
    next();
  };
}

/**
 * Where a parsed JSON body holds a NUL character, in a key or a string (its dotted path), or
 * undefined. Walked without recursion; a body is at most the router's limit.
 */
function nulInBody(body: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[body, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return at;
        stack.push([child, at]);
      }
    }
  }
  return undefined;
}

const MAX_RANGE_MS = 400 * 24 * 3600_000;

const isoTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 timestamp' })
  .transform(value => Date.parse(value))
  // The years times are stored in; a range's end is exclusive, so 2100-01-01 ends one
  // holding the whole of 2099.
  .refine(ms => isStorableTime(ms) || isStorableTime(ms - 1), {
    error: STORABLE_YEARS_MESSAGE,
  });
/**
 * A cell, tenant, agent or model profile: its name, or its entity ref (`cell:default/x`), which
 * is what a page holding the entity has at hand. Runtime records carry names.
 */
const name = z
  .string()
  .min(1)
  .max(255)
  .transform(value => value.replace(/^[A-Za-z]+:(?:[^/:]+\/)?/, ''));

/** `from`/`to` as ISO timestamps, defaulting to the `defaultMs` before now. */
export function timeRangeQuery(now: number, defaultMs: number) {
  return z
    .object({ from: isoTime.optional(), to: isoTime.optional() })
    .transform(({ from, to }) => {
      const end = to ?? now;
      return { from: from ?? end - defaultMs, to: end };
    })
    .refine(r => r.from < r.to, {
      message: 'must be before to',
      path: ['from'],
    })
    .refine(r => r.to - r.from <= MAX_RANGE_MS, {
      message: 'range must be at most 400 days',
      path: ['from'],
    });
}

const booleanString = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform(v => v === 'true');

export const scopeQuery = z.object({
  cell: name.optional(),
  tenant: name.optional(),
  agent: name.optional(),
});

/*
 * Bounds, patterns and enums of every parameter are openapi.yaml's, checked before a handler
 * runs; the schemas below only turn checked strings into what the services take (numbers,
 * booleans, names from refs, times in ms) and apply the document's defaults.
 */

/** `buckets`: also summarise the range cut into this many equal parts (a chart's points). */
export const trafficQuery = z.object({
  buckets: z.coerce.number().int().optional(),
});

export const decisionQuery = scopeQuery.extend({
  model: name.optional(),
  outcome: outcomeSchema.optional(),
  fellBack: booleanString.optional(),
  droppedFor: dropReasonSchema.optional(),
  limit: z.coerce.number().int().default(50),
  cursor: z.string().max(300).optional(),
});

export const dimensionSchema = z
  .enum(['tenant', 'cell', 'agent', 'modelProfile'])
  .transform(d => (d === 'modelProfile' ? ('model_profile' as const) : d));

export const costBreakdownQuery = scopeQuery.extend({
  groupBy: dimensionSchema.default('tenant'),
  granularity: z.enum(['hour', 'day']).default('day'),
});

export const costMoversQuery = scopeQuery.extend({
  groupBy: dimensionSchema.default('tenant'),
  period: z.enum(['day', 'week', 'month']).default('week'),
  limit: z.coerce.number().int().default(10),
});

export const sloQuery = scopeQuery
  .extend({ budgetSeries: booleanString.optional() })
  .refine(
    q => [q.cell, q.tenant, q.agent].filter(v => v !== undefined).length === 1,
    { message: 'give exactly one of cell, tenant or agent', path: ['cell'] },
  );

export const budgetQuery = z.object({ tenant: name });

export const refParam = z.object({
  ref: name,
});

export const idParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be an event id'),
});
