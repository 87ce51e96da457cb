import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { BasicPermission } from '@backstage/plugin-permission-common';
import {
  platformDeployApplyPermission,
  platformRuntimeReadPermission,
} from '@cellport/plugin-platform-common';
import {
  failureAnswers,
  openApiInputErrors,
  parseInput,
  requirePermission,
} from '@cellport/plugin-platform-node';
import express from 'express';
import { DeployService } from './apply/DeployService';
import { DeployAuditLog } from './audit/DeployAuditLog';
import {
  deployApplyBody,
  deployAuditQuery,
  deployEntityQuery,
  firstAppliedBody,
} from './deployRequests';
import { RolloutFollower } from './rollouts/RolloutFollower';
import { DeployNotifier } from './rollouts/DeployNotifier';
import { createOpenApiRouter } from './schema/openapi/generated/router';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
  deploy: DeployService;
  audit: DeployAuditLog;
  notifier: DeployNotifier;
  rollouts: RolloutFollower;
}

/** The deploy driver's routes: plan, status and audit are runtime reads; apply is its own permission. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, deploy } = options;
  // Requests are checked against openapi.yaml before a handler runs, answers after it.
  const router = await createOpenApiRouter({
    // A first-applied request names up to 1000 refs of up to 255 characters.
    middleware: [express.json({ limit: '1mb' })],
    validatorOptions: {
      validateRequests: {
        allErrors: true,
        coerceTypes: false,
        allowUnknownQueryParameters: false,
      },
      validateResponses: true,
      // Who may call is httpAuth's and the permission framework's answer (401 and 403).
      validateSecurity: false,
    },
  });

  const authorize = (
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ) => requirePermission(permissions, permission, credentials);

  router.get('/plan', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { entityRef } = parseInput(deployEntityQuery, req.query, 'query');
    await authorize(platformRuntimeReadPermission, credentials);
    res.json(await deploy.plan(entityRef));
  });

  router.post('/apply', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const body = parseInput(deployApplyBody, req.body, 'body');
    await authorize(platformDeployApplyPermission, credentials);
    const actor = actorOf(credentials);
    const result = await deploy.apply(body.entityRef, {
      actor,
      overrideReason: body.overrideReason,
    });
    await options.notifier.applied(actor, result);
    // Deploy cards hear of the rollout through signals from here on.
    if (result.result === 'applied')
      void options.rollouts.follow(result.entityRef, actor);
    res.json(result);
  });

  router.get('/status', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { entityRef } = parseInput(deployEntityQuery, req.query, 'query');
    await authorize(platformRuntimeReadPermission, credentials);
    res.json(await deploy.status(entityRef));
  });

  router.get('/audit', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const query = parseInput(deployAuditQuery, req.query, 'query');
    await authorize(platformRuntimeReadPermission, credentials);
    res.json(await deploy.auditLog(query));
  });

  // For the platform backend's GPU cost: services only.
  router.post('/first-applied', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    const { entityRefs } = parseInput(firstAppliedBody, req.body, 'body');
    await authorize(platformRuntimeReadPermission, credentials);
    const applied = await options.audit.firstApplied(entityRefs);
    res.json({
      items: [...applied].map(([entityRef, at]) => ({
        entityRef,
        firstAppliedAt: new Date(at).toISOString(),
      })),
    });
  });

  router.use(openApiInputErrors());
  // A database that cannot answer now is a 503 with Retry-After; no failure of ours (the
  // audit log's SQL, a socket's address) reaches the caller in Backstage's serialized error.
  router.use(failureAnswers(options.logger));
  return router;
}

/** Who made a request, for the audit log: a user's entity ref, or the calling service. */
function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user' && principal.userEntityRef) {
    return principal.userEntityRef;
  }
  return `${principal.type ?? 'unknown'}:${principal.subject ?? 'unknown'}`;
}
