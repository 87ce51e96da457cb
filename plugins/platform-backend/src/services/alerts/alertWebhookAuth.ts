import { HttpAuthService } from '@backstage/backend-plugin-api';
import { AuthenticationError, NotAllowedError } from '@backstage/errors';
import { createHash, timingSafeEqual } from 'node:crypto';
import { RequestHandler } from 'express';

/** Where Alertmanager posts, relative to the plugin's router. */
export const ALERT_WEBHOOK_ROUTE = '/alerts/alertmanager';

/**
 * Every path Express routes to the webhook's handler: its routing ignores case and a trailing
 * slash, so the guard must too, or `/ALERTS/alertmanager/` would reach the handler unguarded.
 */
const WEBHOOK_PATH = /^\/alerts\/alertmanager\/*$/i;

/** Whether Express routes a request of this path to the webhook's handler. */
export function isAlertWebhookPath(path: string): boolean {
  return WEBHOOK_PATH.test(path);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Guards Alertmanager's webhook, which Backstage's own auth lets through (Alertmanager sends a
 * static bearer token, not a Backstage token): the request needs the bearer token
 * `platform.alerts.webhookToken`, or else a Backstage service token (e.g. an
 * `backend.auth.externalAccess` static token). It runs before the OpenAPI validator, so an
 * unauthenticated caller learns nothing about the payload's shape.
 */
export function alertWebhookAuth(options: {
  webhookToken?: string;
  httpAuth: HttpAuthService;
}): RequestHandler {
  const expected = options.webhookToken
    ? digest(options.webhookToken)
    : undefined;
  return async (req, _res, next) => {
    if (!isAlertWebhookPath(req.path)) {
      next();
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const refusal = new AuthenticationError(
      'The alert webhook needs the bearer token platform.alerts.webhookToken or a Backstage service token',
    );
    if (!bearer) {
      next(refusal);
      return;
    }
    try {
      // Compared as digests of equal length, in constant time: the token is never logged.
      if (expected && timingSafeEqual(digest(bearer[1]), expected)) {
        next();
        return;
      }
      await options.httpAuth.credentials(req, { allow: ['service'] });
      next();
    } catch (error) {
      // A user's token is a 403 from httpAuth; a missing or unknown token is a 401.
      if (error instanceof NotAllowedError) {
        next(error);
        return;
      }
      next(refusal);
    }
  };
}
