import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../http/GatewayError';
import {
  bearerToken,
  parseJsonObject,
  readBody,
  sendJson,
} from '../http/httpIo';
import { StateValidationError } from '../state/CompiledState';
import { StateVersionConflict } from '../state/StateStore';
import type { GatewayDeps } from './GatewayDeps';

/**
 * The most a desired-state document may weigh: a state at the maxima `compileState` takes
 * (100,000 keys, 50,000 agents, 10,000 tenants with their allowlists) weighs about 36 MB with
 * ids of 20 characters. Parsing takes many times a document's size before its entries are
 * counted, so the cap is no higher than a replica's memory allows.
 */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The control API the portal's reconciler drives: `GET` and `PUT /control/state`, behind
 * its own admin token (compared in constant time, held only as a digest).
 */
export class ControlApi {
  private readonly tokenDigest?: Buffer;

  constructor(private readonly deps: GatewayDeps) {
    this.tokenDigest = deps.config.adminToken
      ? digest(deps.config.adminToken)
      : undefined;
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<void> {
    this.authorize(req);
    if (req.method === 'GET') {
      const state = this.deps.state.current;
      if (!state) {
        throw new GatewayError(
          404,
          'no_state',
          'no desired state has been loaded',
          'not-found',
        );
      }
      // The version alone: the reconciler's drift check, without the whole document (tens of
      // megabytes at the maxima) each time it looks.
      sendJson(
        res,
        200,
        path === '/control/state' ? state.document : { version: state.version },
      );
      return;
    }
    if (req.method === 'PUT' && path === '/control/state') {
      // In line from its arrival, not from when its body has come (StateStore.push).
      const document = readBody(req, MAX_STATE_BYTES).then(parseJsonObject);
      try {
        const result = await this.deps.state.push(document);
        this.deps.logger.info(
          { version: result.version, changed: result.changed },
          'desired state applied',
        );
        sendJson(res, 200, {
          version: result.version,
          changed: result.changed,
        });
      } catch (error) {
        if (error instanceof StateVersionConflict) {
          throw new GatewayError(
            409,
            'state_version_conflict',
            error.message,
            'invalid-request',
            { param: 'version' },
          );
        }
        if (error instanceof StateValidationError) {
          sendJson(res, 400, {
            error: {
              message: error.message,
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_state',
              issues: error.issues,
              issueCount: error.issueCount,
            },
          });
          return;
        }
        throw error;
      }
      return;
    }
    throw new GatewayError(
      405,
      'method_not_allowed',
      path === '/control/state'
        ? 'use GET or PUT on /control/state'
        : 'use GET on /control/state/version',
      'invalid-request',
    );
  }

  private authorize(req: IncomingMessage): void {
    if (!this.tokenDigest) {
      throw new GatewayError(
        403,
        'control_api_disabled',
        'the control API is disabled: set GATEWAY_ADMIN_TOKEN',
        'forbidden',
      );
    }
    const token = bearerToken(req);
    if (!token || !timingSafeEqual(digest(token), this.tokenDigest)) {
      throw new GatewayError(
        401,
        'invalid_admin_token',
        'invalid admin token',
        'unauthorized',
      );
    }
  }
}
