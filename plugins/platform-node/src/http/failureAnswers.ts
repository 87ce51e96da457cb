import { LoggerService } from '@backstage/backend-plugin-api';
import { CustomErrorBase, ServiceUnavailableError } from '@backstage/errors';
import { ErrorRequestHandler } from 'express';
import { randomBytes } from 'node:crypto';
import { databaseUnavailable } from '../database/databaseFailures';

/** Seconds a client waits before sending again a request the database could not answer. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Whether an error was written for the caller: one of Backstage's HTTP errors, or one that
 * http-errors marked to expose (the body parser's 4xx: a body too large, an unsupported
 * charset, JSON that does not parse). A `status` alone says nothing: a client's error (the
 * Kubernetes API server's 403 or 404) carries one, and answered as is it would become the
 * caller's answer in another server's words. Anything else is ours, and its message (knex puts
 * the statement in it) and properties (a socket's errno, address and port) are the logs'.
 */
function meantForCaller(error: unknown): boolean {
  return (
    error instanceof CustomErrorBase ||
    (error as { expose?: unknown } | undefined)?.expose === true
  );
}

/**
 * The last error middleware of the router, before Backstage's own (which serializes every
 * property of an error and hides only pg's DatabaseError): a database that cannot answer now
 * is a 503 with Retry-After that every route and every client retries the same way; any
 * other failure of ours a 500 naming only the log line that holds it. The 503 does not name
 * the database: a refused or reset socket reads the same from pg as from another client (the
 * catalog's fetch), and either way the request may pass when sent again.
 */
export function failureAnswers(logger: LoggerService): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (meantForCaller(error)) {
      next(error);
      return;
    }
    const logId = randomBytes(10).toString('hex');
    logger.error(`${req.method} ${req.path} failed, logId=${logId}`, error);
    if (databaseUnavailable(error)) {
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      next(
        new ServiceUnavailableError(
          `a service this request needs cannot answer now; send the request again (logId=${logId})`,
        ),
      );
      return;
    }
    next(new Error(`an internal error occurred (logId=${logId})`));
  };
}
