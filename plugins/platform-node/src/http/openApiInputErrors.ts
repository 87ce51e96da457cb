import { InputError } from '@backstage/errors';
import { ErrorRequestHandler } from 'express';

/** Where the OpenAPI validator says a problem is, in the words the API's messages use. */
const LOCATIONS: Record<string, string> = {
  query: 'query',
  params: 'path',
  path: 'path',
  body: 'body',
  headers: 'headers',
};

/** The validator's (ajv's) wording, as the zod-checked parts of the API say the same thing. */
const WORDINGS: Array<[RegExp, (...groups: string[]) => string]> = [
  [/^must be integer$/, () => 'must be an integer'],
  [/^must be number$/, () => 'must be a number'],
  [/^must be string$/, () => 'must be a string'],
  [/^must be boolean$/, () => 'must be true or false'],
  [/^must be object$/, () => 'must be an object'],
  [/^must be array$/, () => 'must be an array'],
  [/^must be <= (.+)$/, max => `must be at most ${max}`],
  [/^must be >= (.+)$/, min => `must be at least ${min}`],
  [
    /^must be equal to one of the allowed values: (.+)$/,
    values => `expected one of ${values.split(', ').join(' | ')}`,
  ],
  [/^must match format "date-time"$/, () => 'must be an ISO 8601 timestamp'],
  [/^must match format "date"$/, () => 'must be a date (YYYY-MM-DD)'],
];

/**
 * `request/query/limit must be integer` → `limit: must be an integer`; a missing property
 * (`request/query must have required property 'entityRef'`) → `entityRef: is required`.
 * Returns the location (`query`, `path`, `body`) and the field's message.
 */
function rewordOne(problem: string): { location?: string; text: string } {
  const match =
    /^request\/(query|params|path|body|headers)((?:\/[^\s]*)?) (.+)$/s.exec(
      problem,
    );
  if (!match) return { text: problem };
  const [, where, pointer, message] = match;
  const field = pointer
    .split('/')
    .filter(Boolean)
    .map(part =>
      decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~')),
    );
  const missing = /^must have required property '(.+)'$/.exec(message);
  if (missing) {
    return {
      location: LOCATIONS[where],
      text: `${[...field, missing[1]].join('.')}: is required`,
    };
  }
  const wording = WORDINGS.find(([pattern]) => pattern.test(message));
  const said = wording
    ? wording[1](...(wording[0].exec(message)!.slice(1) as string[]))
    : message;
  return {
    location: LOCATIONS[where],
    text: field.length > 0 ? `${field.join('.')}: ${said}` : said,
  };
}

/**
 * Rewrites the OpenAPI validator's 400s (`request/query/limit must be integer, …`) into the
 * API's own form, `Invalid query: limit: must be an integer`, so that a client reads one style
 * of message whether the document or a handler's own check refused the input. Other errors
 * pass through unchanged.
 */
export function rewordValidatorMessage(message: string): string | undefined {
  const unknownParameter = /^Unknown query parameter '(.+)'$/.exec(message);
  if (unknownParameter) {
    return `Invalid query: ${unknownParameter[1]}: is not a parameter of this route`;
  }
  if (!message.startsWith('request/')) return undefined;
  const problems = message
    .split(/, (?=request\/)/)
    .map(rewordOne)
    .filter(p => p.location);
  if (problems.length === 0) return undefined;
  const byLocation = new Map<string, string[]>();
  for (const { location, text } of problems) {
    byLocation.set(location!, [...(byLocation.get(location!) ?? []), text]);
  }
  return [...byLocation]
    .map(([location, texts]) => `Invalid ${location}: ${texts.join('; ')}`)
    .join('; ');
}

/** Error middleware for the end of the OpenAPI router: see {@link rewordValidatorMessage}. */
export function openApiInputErrors(): ErrorRequestHandler {
  return (error, _req, _res, next) => {
    if (error instanceof InputError) {
      const reworded = rewordValidatorMessage(error.message);
      if (reworded) {
        next(new InputError(reworded));
        return;
      }
    }
    next(error);
  };
}
