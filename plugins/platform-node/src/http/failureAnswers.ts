import { LoggerService } from '@backstage/backend-plugin-api';
import { CustomErrorBase, ServiceUnavailableError } from '@backstage/errors';
import { ErrorRequestHandler } from 'express';
import { randomBytes } from 'node:crypto';
import { databaseUnavailable } from '../database/databaseFailures';

/** Seconds a client waits before sending again a request the database could not answer. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Whether an error was written for the caller: one of Backstage's HTTP errors, or a 4xx of
 * the body parser. Anything else is ours, and its message (knex puts the statement in it) and
 * properties (a socket's errno, address and port) are the logs', not the caller's.
 */
function meantForCaller(error: unknown): boolean {
  if (error instanceof CustomErrorBase) return true;
  const { status, statusCode } = (error ?? {}) as Record<string, unknown>;
  const code = Number(statusCode ?? status);
  return code >= 400 && code < 500;
}

/**
 * The last error middleware of the router, before Backstage's own (which serializes every
 * property of an error and hides only pg's DatabaseError): a database that cannot answer now
 * is a 503 with Retry-After that every route and every client retries the same way; any
 * other failure of ours a 500 naming only the log line that holds it.
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
          `the database cannot answer now; send the request again (logId=${logId})`,
        ),
      );
      return;
    }
    next(new Error(`an internal error occurred (logId=${logId})`));
  };
}
