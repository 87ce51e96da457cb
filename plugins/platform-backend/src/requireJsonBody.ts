import { CustomErrorBase } from '@backstage/errors';
import { Request, RequestHandler } from 'express';

/** A body in a media type the route does not read; Backstage answers its statusCode. */
export class UnsupportedMediaTypeError extends CustomErrorBase {
  name = 'UnsupportedMediaTypeError' as const;
  readonly statusCode = 415;
}

/**
 * Refuses a body that is not JSON before it is read, naming the type received. Unparsed, an
 * event batch reads as a batch without events, a 400 that a gateway takes as events refused
 * for good and halves down to each one; Alertmanager's webhook got the validator's 400, which
 * says the payload is wrong, not how it was sent.
 */
export function requireJsonBody(req: Request): void {
  if (req.is('application/json')) return;
  const received = req.get('content-type');
  throw new UnsupportedMediaTypeError(
    `Content-Type ${
      received ? `"${received}"` : 'missing'
    }: send it as application/json`,
  );
}

/**
 * The same check ahead of the OpenAPI validator, for the routes it validates: its error
 * transformer makes every error passed on a 400, so the 415 is answered here, in the shape
 * of Backstage's error answers.
 */
export function requireJsonBodyWhere(
  applies: (req: Request) => boolean,
): RequestHandler {
  return (req, res, next) => {
    try {
      if (applies(req)) requireJsonBody(req);
      next();
    } catch (error) {
      const { name, message } = error as UnsupportedMediaTypeError;
      res.status(415).json({
        error: { name, message },
        request: { method: req.method, url: req.originalUrl },
        response: { statusCode: 415 },
      });
    }
  };
}
