import { z } from 'zod';

/** One label matcher of a Prometheus series selector, its value as written between quotes. */
export interface PromMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  /** The value with its escapes kept, so it renders back exactly as it was written. */
  value: string;
}

/** A Prometheus series selector: `metric{label="value", ...}`. */
export interface PromSelector {
  metric: string;
  matchers: PromMatcher[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const MATCHER =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\\n]|\\[^\n])*)"\s*$/;

/** Labels the rule renderer sets itself: a spec may not select on them. */
export const RESERVED_SELECTOR_LABELS = ['cell', 'le'] as const;

/** Splits a matcher list on the commas outside quoted values. */
function splitMatchers(body: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (quoted && char === '\\') {
      current += char + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (quoted) return undefined;
  if (current.trim() !== '' || parts.length === 0) parts.push(current);
  return parts;
}

/**
 * Parses a series selector, or says why it is not one. Only a plain selector is accepted, never
 * a PromQL expression: the renderer wraps it in `rate(...)` over each window and adds the cell's
 * matcher, so a spec cannot smuggle `or vector(1)` into every alert.
 */
export function parsePromSelector(
  text: string,
): { ok: true; selector: PromSelector } | { ok: false; message: string } {
  const open = text.indexOf('{');
  const metric = (open < 0 ? text : text.slice(0, open)).trim();
  if (!METRIC.test(metric)) {
    return {
      ok: false,
      message:
        'must start with a Prometheus metric name such as "cellport_memory_service_requests_total"',
    };
  }
  if (open < 0) return { ok: true, selector: { metric, matchers: [] } };
  if (!text.trimEnd().endsWith('}')) {
    return { ok: false, message: 'must end its label matchers with "}"' };
  }
  const body = text.slice(open + 1, text.trimEnd().length - 1);
  const parts = body.trim() === '' ? [] : splitMatchers(body);
  if (!parts) return { ok: false, message: 'has an unterminated quoted value' };
  const matchers: PromMatcher[] = [];
  for (const part of parts) {
    const match = MATCHER.exec(part);
    if (!match) {
      return {
        ok: false,
        message: `has a label matcher that is not label="value" (or !=, =~, !~): ${JSON.stringify(
          part.trim(),
        )}`,
      };
    }
    const [, label, op, value] = match;
    if ((RESERVED_SELECTOR_LABELS as readonly string[]).includes(label)) {
      return {
        ok: false,
        message: `must not match on "${label}": the rule renderer sets it`,
      };
    }
    matchers.push({ label, op: op as PromMatcher['op'], value });
  }
  return { ok: true, selector: { metric, matchers } };
}

/** A series selector as the catalog holds it: a string, checked by `parsePromSelector`. */
export const promSelectorSchema = z
  .string()
  .max(1000, 'must be at most 1000 characters')
  .superRefine((text, ctx) => {
    const parsed = parsePromSelector(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

/** A parsed selector, for code that holds a string the schema has already accepted. */
export function promSelector(text: string): PromSelector {
  const parsed = parsePromSelector(text);
  if (!parsed.ok) {
    throw new Error(`Not a series selector (${parsed.message}): ${text}`);
  }
  return parsed.selector;
}

/** Renders a selector as PromQL: `metric{label="value",...}`. */
export function renderPromSelector(selector: PromSelector): string {
  const matchers = selector.matchers
    .map(m => `${m.label}${m.op}"${m.value}"`)
    .join(',');
  return `${selector.metric}{${matchers}}`;
}

/** Escapes a value for a PromQL double-quoted string. */
export function promString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
