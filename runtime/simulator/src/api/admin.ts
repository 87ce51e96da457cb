import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { faultSchema } from '../faults/FaultInjector';
import { modelBehaviourSchema } from '../config/SimulatorConfig';
import { HttpError, sendJson } from '../http/httpIo';
import { parseBody } from './requestSchemas';
import type { SimulatorDeps } from './RequestContext';

const behaviourPatchSchema = modelBehaviourSchema
  .omit({ id: true })
  .partial()
  .strict();

/**
 * The run-time controls behind `/admin`: force outages, slowness and 429s, change a model's
 * speed, read and reset the counters.
 */
export function handleAdmin(
  deps: SimulatorDeps,
  method: string,
  path: string,
  body: unknown,
  res: ServerResponse,
): void {
  if (path === '/admin/faults') {
    if (method === 'GET') {
      sendJson(res, 200, { faults: deps.faults.list() });
      return;
    }
    if (method === 'POST') {
      deps.faults.add(parseBody(faultSchema, body));
      sendJson(res, 200, { faults: deps.faults.list() });
      return;
    }
    if (method === 'PUT') {
      const { faults } = parseBody(
        z.object({ faults: z.array(faultSchema) }),
        body,
      );
      deps.faults.replace(faults);
      sendJson(res, 200, { faults: deps.faults.list() });
      return;
    }
    if (method === 'DELETE') {
      deps.faults.clear();
      sendJson(res, 200, { faults: [] });
      return;
    }
  }
  if (path === '/admin/stats') {
    if (method === 'GET') {
      sendJson(res, 200, deps.stats.snapshot());
      return;
    }
    if (method === 'DELETE') {
      deps.stats.reset();
      sendJson(res, 200, deps.stats.snapshot());
      return;
    }
  }
  const modelMatch = /^\/admin\/models\/([^/]+)$/.exec(path);
  if (modelMatch) {
    const model = decodeURIComponent(modelMatch[1]);
    if (method === 'GET') {
      sendJson(res, 200, deps.catalog.behaviour(model));
      return;
    }
    if (method === 'PATCH') {
      sendJson(
        res,
        200,
        deps.catalog.update(model, parseBody(behaviourPatchSchema, body)),
      );
      return;
    }
  }
  throw new HttpError(
    404,
    `no admin route ${method} ${path}`,
    'not_found_error',
  );
}
