import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  dnsLabelSchema,
  type CellRuntimeStatus,
} from '@cellport/plugin-platform-common';
import {
  describeFailure,
  fetchPlatformBackend,
  PlatformBackendDeps,
} from '../platformBackend';
import { examples } from './reconcileCell.examples';

const DEFAULT_WAIT_SECONDS = 60;
const POLL_MS = 1000;

/**
 * `cellport:runtime:reconcile` pushes a cell's desired state to its gateway right after a
 * template registered something in it, so a new tenant's key or a new agent's routing works
 * within seconds instead of at the reconciler's next pass. It first waits until the catalog
 * serves the registered entities (registration is processed asynchronously), since the
 * reconciler builds the state from the catalog.
 *
 * It never fails a run whose entities are already registered: if the entities are not in the
 * catalog in time or the gateway cannot be reached, it says so and the scheduled reconciler,
 * which retries with backoff, finishes the job. Outputs `synced` to tell the two apart, and
 * the gateway's URL and state as the reconciler sees them (a new cell's gateway, started by
 * the local runtime in the embedded default, is waited for; in production it comes from
 * applying the cell's manifests, so the state is `not-configured` until then).
 */
export function createReconcileCellAction(
  options: PlatformBackendDeps & { catalog: CatalogService },
) {
  return createTemplateAction({
    id: 'cellport:runtime:reconcile',
    description:
      "Pushes a cell's desired state to its gateway once the catalog serves the given entities.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cell: z =>
          z
            .string()
            .min(1)
            .describe('The Cell whose gateway to update (name or entity ref)'),
        waitFor: z =>
          z
            .array(z.string())
            .default([])
            .describe('Entity refs the catalog must serve before the push'),
        waitSeconds: z =>
          z
            .number()
            .int()
            .min(0)
            .max(600)
            .default(DEFAULT_WAIT_SECONDS)
            .describe('How long to wait for those entities'),
      },
      output: {
        synced: z => z.boolean(),
        version: z => z.string().optional(),
        gatewayUrl: z =>
          z
            .string()
            .optional()
            .describe(
              "Where the cell's gateway answers, as the reconciler pushes to it",
            ),
        gatewayState: z =>
          z
            .enum(['not-configured', 'starting', 'running', 'failing'])
            .optional(),
      },
    },
    async handler(ctx) {
      const cell = cellName(ctx.input.cell);
      const waitFor = ctx.input.waitFor.map(ref => {
        try {
          return stringifyEntityRef(parseEntityRef(ref));
        } catch {
          throw new InputError(`waitFor: "${ref}" is not an entity ref`);
        }
      });
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would push cell ${cell}'s desired state to its gateway once the catalog serves ${
            waitFor.join(', ') || 'nothing more'
          }`,
        );
        ctx.output('synced', false);
        return;
      }

      const credentials = await options.auth.getOwnServiceCredentials();
      const missing = await waitForEntities(
        options.catalog,
        waitFor,
        credentials,
        ctx.input.waitSeconds * 1000,
        ctx.signal,
      );
      if (missing.length > 0) {
        ctx.logger.warn(
          `The catalog does not serve ${missing.join(
            ', ',
          )} yet; the reconciler pushes cell ${cell} on its next pass`,
        );
        ctx.output('synced', false);
        return;
      }

      const answer = await reconcileOnceGatewayIsUp(
        options,
        cell,
        Date.now() + ctx.input.waitSeconds * 1000,
        ctx.signal,
      );
      if ('failure' in answer) {
        ctx.logger.warn(
          `${answer.failure}; the reconciler retries cell ${cell} on its own`,
        );
        ctx.output('synced', false);
        return;
      }
      if (answer.gatewayUrl) ctx.output('gatewayUrl', answer.gatewayUrl);
      ctx.output('gatewayState', answer.gateway.state);
      if (answer.gateway.state === 'not-configured') {
        ctx.logger.warn(
          `Cell ${cell} has no gateway yet: it comes from applying the cell's manifests (the Deploy card on the cell's page); the reconciler pushes to it once the Cell names it`,
        );
        ctx.output('synced', false);
        return;
      }
      if (!answer.inSync) {
        ctx.logger.warn(
          `Cell ${cell}'s gateway is not in sync${
            answer.lastError ? ` (${answer.lastError})` : ''
          }; the reconciler retries it`,
        );
        ctx.output('synced', false);
        return;
      }
      const version = answer.pushedVersion;
      ctx.logger.info(
        `Cell ${cell}'s gateway runs desired state ${version ?? '(unknown)'}`,
      );
      ctx.output('synced', true);
      if (version) ctx.output('version', version);
    },
  });
}

function cellName(input: string): string {
  const name = input.includes(':')
    ? parseEntityRef(input, { defaultKind: 'cell' }).name
    : input.replace(/^default\//, '');
  if (!dnsLabelSchema.safeParse(name).success) {
    throw new InputError(`cell: "${input}" is not a cell name or entity ref`);
  }
  return name;
}

async function waitForEntities(
  catalog: CatalogService,
  refs: string[],
  credentials: Awaited<ReturnType<AuthService['getOwnServiceCredentials']>>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let missing = refs;
  for (;;) {
    const found = await Promise.all(
      missing.map(ref => catalog.getEntityByRef(ref, { credentials })),
    );
    missing = missing.filter((_, i) => !found[i]);
    if (missing.length === 0 || Date.now() >= deadline || signal?.aborted) {
      return missing;
    }
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Reconciles the cell; while its gateway is still starting (the local runtime starts a new
 * cell's gateway within seconds), asks again until `deadline`.
 */
async function reconcileOnceGatewayIsUp(
  deps: PlatformBackendDeps,
  cell: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<CellRuntimeStatus | { failure: string }> {
  for (;;) {
    const answer = await requestReconcile(deps, cell, signal);
    const starting =
      !('failure' in answer) && answer.gateway?.state === 'starting';
    if (!starting || Date.now() >= deadline || signal?.aborted) return answer;
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
  }
}

async function requestReconcile(
  deps: PlatformBackendDeps,
  cell: string,
  signal?: AbortSignal,
): Promise<CellRuntimeStatus | { failure: string }> {
  try {
    const response = await fetchPlatformBackend(
      deps,
      `/cells/${encodeURIComponent(cell)}/runtime/reconcile`,
      { method: 'POST', signal },
    );
    if (!response.ok) return { failure: await describeFailure(response) };
    return (await response.json()) as CellRuntimeStatus;
  } catch (error) {
    return {
      failure: `The platform backend could not be reached (${
        (error as Error).message
      })`,
    };
  }
}
