import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { platformRuntimeManagePermission } from '@cellport/plugin-platform-common';
import { requirePermission } from '@cellport/plugin-platform-node';
import express from 'express';
import Router from 'express-promise-router';
import { BackfillResult } from './DemoBackfill';

const MAX_DAYS = 90;
const DEFAULT_DAYS = 7;

/** `?days=N`: a whole number of days from 1 to 90, 7 when absent. */
export function backfillDays(query: Record<string, unknown>): number {
  const raw = query.days;
  if (raw === undefined) return DEFAULT_DAYS;
  const days = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(days >= 1 && days <= MAX_DAYS)) {
    throw new InputError(
      `Invalid query: days: must be a whole number from 1 to ${MAX_DAYS}`,
    );
  }
  return days;
}

/**
 * `POST /demo/backfill?days=N` under the platform's routes: who may manage the platform's
 * runtime generates N days of demo history for the catalog's agents.
 */
export function createDemoRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  backfill(days: number): Promise<BackfillResult>;
}): express.Router {
  const router = Router();
  router.post('/demo/backfill', async (req, res) => {
    const credentials = await options.httpAuth.credentials(req);
    const days = backfillDays(req.query);
    await requirePermission(
      options.permissions,
      platformRuntimeManagePermission,
      credentials,
    );
    res.json(await options.backfill(days));
  });
  return router;
}
