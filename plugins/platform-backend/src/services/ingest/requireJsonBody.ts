import { CustomErrorBase } from '@backstage/errors';
import { Request } from 'express';

/** A body in a media type the route does not read; Backstage answers its statusCode. */
export class UnsupportedMediaTypeError extends CustomErrorBase {
  name = 'UnsupportedMediaTypeError' as const;
  readonly statusCode = 415;
}

/**
 * Refuses a body that is not JSON before it is read: unparsed, it reads as a batch without
 * events, a 400 that a gateway takes as events refused for good and halves down to each one.
 */
export function requireJsonBody(req: Request): void {
  if (req.is('application/json')) return;
  const received = req.get('content-type');
  throw new UnsupportedMediaTypeError(
    `Content-Type ${
      received ? `"${received}"` : 'missing'
    }: send the batch as application/json`,
  );
}
