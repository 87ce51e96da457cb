import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  ANNOTATION_LOCATION,
  Entity,
  parseEntityRef,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  Capability,
  entityRefName,
  sameEntityName,
  formatValidationIssues,
  missingCapabilities,
  modelProfileRefusals,
  ModelProfileSpec,
  privateModelRefusal,
  ProfileForIsolation,
  routingPolicySchema,
  TenantSpec,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ScmIntegrations } from '@backstage/integration';
import { isInside, proposalRoots } from '../../localRepositories';
import { ForgeSource, forgeSource } from './forgeSource';
import { loadIsolationCatalog } from '../loadIsolationCatalog';
import { platformSchema } from '../platformSchema';
import { examples } from './proposeAgentChange.examples';

const run = promisify(execFile);

interface AgentChange {
  policy?: 'quality' | 'balanced' | 'cost';
  preferredModels?: string[];
}

/**
 * Refuses preferred models the agent's tenant may not use, by the platform's own rules: the
 * tenant's allowlist, private capacity, residency and classification, and the agent's
 * required capabilities. A recommendation never offers such a model; a form filled in by
 * hand (or a crafted link) must not get one proposed either. Returns the models as the
 * catalog spells them, which is how the file must name them.
 */
async function checkModels(
  catalog: CatalogService,
  agent: Entity,
  models: string[],
  credentials: BackstageCredentials,
): Promise<string[]> {
  const spec = agent.spec as {
    tenant: string;
    routing?: { requiredCapabilities?: string[] };
  };
  const tenantRef = stringifyEntityRef(
    parseEntityRef(spec.tenant, {
      defaultKind: 'Tenant',
      defaultNamespace: 'default',
    }),
  );
  const refs = models.map(m =>
    stringifyEntityRef(
      parseEntityRef(m, {
        defaultKind: 'ModelProfile',
        defaultNamespace: 'default',
      }),
    ),
  );
  const { items } = await catalog.getEntitiesByRefs(
    { entityRefs: [tenantRef, ...refs] },
    { credentials },
  );
  const [tenant, ...profiles] = items;
  if (!tenant) {
    throw new InputError(
      `agent: its tenant ${tenantRef} is not in the catalog`,
    );
  }
  const tenantSpec = tenant.spec as unknown as TenantSpec;
  const isolation = await loadIsolationCatalog(catalog, credentials);
  const problems: string[] = [];
  models.forEach((model, i) => {
    const field = `preferredModels.${i}`;
    const profile = profiles[i];
    const name = entityRefName(model);
    if (!profile) {
      problems.push(`${field}: no ModelProfile "${model}" in the catalog`);
      return;
    }
    if (
      !(tenantSpec.modelAllowlist ?? []).some(m =>
        sameEntityName(m, profile.metadata.name),
      )
    ) {
      problems.push(
        `${field}: ${name} is not on ${tenant.metadata.name}'s model allowlist`,
      );
    }
    const refusal = privateModelRefusal(
      tenant.metadata.name,
      profile as unknown as ProfileForIsolation,
      isolation,
    );
    if (refusal) problems.push(`${field}: ${refusal}`);
    const profileSpec = profile.spec as unknown as ModelProfileSpec;
    for (const why of modelProfileRefusals(
      { name, spec: profileSpec },
      {
        residency: tenantSpec.residency ?? { pinned: false },
        dataClassification: tenantSpec.dataClassification,
      },
    )) {
      problems.push(`${field}: ${why}`);
    }
    const missing = missingCapabilities(
      profileSpec,
      (spec.routing?.requiredCapabilities ?? []) as Capability[],
    );
    if (missing.length > 0) {
      problems.push(`${field}: ${name} lacks ${missing.join(', ')}`);
    }
  });
  if (problems.length > 0) throw new InputError(problems.join('; '));
  return profiles.map(profile => profile!.metadata.name);
}

/**
 * Where the agent's catalog file lives: a local repository under one of `roots`, or a GitHub
 * repository or GitLab project of a configured integration; otherwise why it cannot be changed.
 */
async function agentSource(
  agent: Entity,
  roots: string[],
  integrations: ScmIntegrations,
): Promise<{ repoPath: string; file: string } | { forge: ForgeSource }> {
  const annotations = agent.metadata.annotations ?? {};
  // The file that holds the entity: the origin may be a Location that only points at it.
  const location =
    annotations[ANNOTATION_LOCATION] ?? annotations[ANNOTATION_ORIGIN_LOCATION];
  if (!location) {
    throw new InputError(
      'agent: the catalog does not say where the agent is defined (no location annotation)',
    );
  }
  const { type, target } = parseLocationRef(location);
  if (type === 'url') {
    const forge = await forgeSource(target, integrations);
    if (forge) return { forge };
  }
  const root = roots.find(dir => type === 'file' && isInside(dir, target));
  if (!root) {
    throw new InputError(
      `agent: its source ${location} is neither a file in a local repository under ${roots.join(
        ' or ',
      )} nor on a GitHub or GitLab integration, so this action cannot propose a change to it`,
    );
  }
  const file = path.resolve(target);
  const top = await run('git', ['rev-parse', '--show-toplevel'], {
    cwd: path.dirname(file),
  }).catch(() => undefined);
  const repoPath = top?.stdout.trim();
  if (!repoPath || !isInside(root, path.join(repoPath, 'x'))) {
    throw new InputError(
      `agent: ${file} is not in a git repository under ${root}`,
    );
  }
  return {
    repoPath,
    file: path.relative(await fs.realpath(repoPath), await fs.realpath(file)),
  };
}

/** A change in words: `policy cost, prefer a, b`. */
function describeChange(change: AgentChange): string {
  return [
    change.policy ? `policy ${change.policy}` : '',
    change.preferredModels ? `prefer ${change.preferredModels.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The catalog file with the change applied to the agent's document, comments and layout kept
 * (YAML documents edited in place), or an InputError when it has no such agent.
 */
function editedFile(text: string, name: string, change: AgentChange): string {
  const documents = parseAllDocuments(text);
  const document = documents.find(
    d => d.get('kind') === 'Agent' && d.getIn(['metadata', 'name']) === name,
  );
  if (!document) {
    throw new InputError(`agent: the file defines no Agent "${name}"`);
  }
  const unchanged = JSON.stringify(document.toJS());
  if (change.policy)
    document.setIn(['spec', 'routing', 'policy'], change.policy);
  if (change.preferredModels) {
    const list = document.createNode(change.preferredModels);
    // Kept in the flow style the templates write (`[a, b]`) when it was so.
    const current = document.getIn(['spec', 'modelProfiles'], true) as
      | { flow?: boolean }
      | undefined;
    if (current?.flow) (list as { flow?: boolean }).flow = true;
    document.setIn(['spec', 'modelProfiles'], list);
  }
  const parsed = validatePlatformEntity('Agent', document.toJS());
  if (!parsed.ok) {
    throw new InputError(
      `agent: the changed entity would be invalid: ${formatValidationIssues(
        parsed.issues,
      )}`,
    );
  }
  if (JSON.stringify(document.toJS()) === unchanged) {
    throw new InputError(
      `policy: the agent's source already gives agent ${name} this routing; nothing to propose`,
    );
  }
  // As the file was written (`[a, b]`, long lines kept), so the diff shows only the change.
  return documents
    .map(d => d.toString({ flowCollectionPadding: false, lineWidth: 0 }))
    .join('');
}

/**
 * `cellport:agent:propose-change` proposes a routing change to an agent (a recommendation's
 * policy or preferred models) as a commit on a new branch of the repository its catalog file
 * lives in, for review like any other change. On GitHub or GitLab (a configured integration)
 * the branch is pushed and a pull or merge request opened; in a local repository of the
 * embedded default the branch is the proposal, and the checked-out branch and working tree,
 * which the catalog reads, are left untouched. Either way the change takes effect only when
 * merged.
 */
export function createProposeAgentChangeAction(options: {
  config: Config;
  catalog: CatalogService;
}) {
  const roots = proposalRoots(options.config);
  const integrations = ScmIntegrations.fromConfig(options.config);
  return createTemplateAction({
    id: 'cellport:agent:propose-change',
    description:
      "Proposes a change to an agent's routing for review: a pull or merge request on GitHub or GitLab, or a branch of its local repository.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        agent: z =>
          z.string().min(1).describe('The Agent (name or entity ref)'),
        policy: z =>
          platformSchema(z, routingPolicySchema)
            .optional()
            .describe('The routing policy to propose'),
        preferredModels: z =>
          z
            .array(z.string().min(1))
            .max(50)
            .optional()
            .describe(
              "The model profiles to prefer, in order; empty keeps the agent's",
            ),
        reason: z =>
          z
            .string()
            .max(2000)
            .optional()
            .describe(
              "Why: the recommendation's evidence, for the commit message",
            ),
      },
      output: {
        repoPath: z =>
          z
            .string()
            .describe(
              'The local repository, or the GitHub repository or GitLab project page',
            ),
        file: z => z.string(),
        branch: z => z.string(),
        baseCommit: z => z.string(),
        commit: z => z.string(),
        reviewUrl: z =>
          z
            .string()
            .optional()
            .describe('The pull or merge request, on GitHub or GitLab'),
      },
    },
    async handler(ctx) {
      const { policy, reason } = ctx.input;
      // The form sends an empty list for "keep them": an agent needs at least one.
      const preferredModels = ctx.input.preferredModels?.length
        ? ctx.input.preferredModels
        : undefined;
      if (!policy && !preferredModels) {
        throw new InputError('policy: propose a policy or preferred models');
      }
      const credentials = await ctx.getInitiatorCredentials();
      const ref = stringifyEntityRef(
        parseEntityRef(ctx.input.agent, {
          defaultKind: 'Agent',
          defaultNamespace: 'default',
        }),
      );
      const agent = await options.catalog.getEntityByRef(ref, { credentials });
      if (!agent || agent.kind !== 'Agent') {
        throw new InputError(`agent: ${ref} is not an Agent in the catalog`);
      }
      const name = agent.metadata.name;
      const change: AgentChange = {
        ...(policy ? { policy } : {}),
        ...(preferredModels
          ? { preferredModels: preferredModels.map(entityRefName) }
          : {}),
      };
      if (change.preferredModels) {
        change.preferredModels = await checkModels(
          options.catalog,
          agent,
          change.preferredModels,
          credentials,
        );
      }
      const source = await agentSource(agent, roots, integrations);
      const forge = 'forge' in source ? source.forge : undefined;
      const gitEnv = forge?.gitEnv ?? {};
      const repoPath = forge
        ? await fs.mkdtemp(path.join(ctx.workspacePath, 'source-'))
        : (source as { repoPath: string }).repoPath;
      const file = forge ? forge.file : (source as { file: string }).file;
      if (forge) {
        await run(
          'git',
          [
            'clone',
            '--quiet',
            '--single-branch',
            '--branch',
            forge.baseBranch,
            forge.cloneUrl,
            repoPath,
          ],
          { env: { ...process.env, ...gitEnv } },
        );
      }
      ctx.output('repoPath', forge?.webUrl ?? repoPath);
      ctx.output('file', file);
      const git = (args: string[], env: Record<string, string> = {}) =>
        run('git', args, {
          cwd: repoPath,
          env: {
            ...process.env,
            GIT_AUTHOR_NAME:
              ctx.user?.entity?.spec?.profile?.displayName ??
              'Cellport scaffolder',
            GIT_AUTHOR_EMAIL:
              ctx.user?.entity?.spec?.profile?.email ??
              'scaffolder@cellport.local',
            GIT_COMMITTER_NAME: 'Cellport scaffolder',
            GIT_COMMITTER_EMAIL: 'scaffolder@cellport.local',
            ...gitEnv,
            ...env,
          },
        }).then(r => r.stdout.trim());
      const baseCommit = await git(['rev-parse', 'HEAD']);
      ctx.output('baseCommit', baseCommit);
      // The same change on the same base proposes the same branch, so a retried run finds its
      // own; once the base moves (the proposal merged, or anything else committed), a new one is.
      const branch = `cellport/propose/${name}-${createHash('sha256')
        .update(JSON.stringify({ change, base: baseCommit }))
        .digest('hex')
        .slice(0, 8)}`;
      ctx.output('branch', branch);
      // Edited from the committed file, not the working tree: the proposal is against HEAD.
      const before = await git(['show', `HEAD:${file}`]);
      const after = editedFile(`${before}\n`, name, change);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would commit ${file} on ${branch} in ${repoPath}`,
        );
        ctx.output('commit', 'dry-run');
        return;
      }
      const commit = await ctx.checkpoint({
        key: `propose-change-${name}-${branch}`,
        fn: async () => {
          const existing = forge
            ? (
                await git([
                  'ls-remote',
                  '--heads',
                  'origin',
                  `refs/heads/${branch}`,
                ])
              ).split(/\s/)[0]
            : await git([
                'rev-parse',
                '--verify',
                '--quiet',
                `refs/heads/${branch}`,
              ]).catch(() => '');
          if (existing) return existing;
          // A private index and plumbing: the commit is built beside the working tree and the
          // checked-out branch, which stay as they are.
          const scratch = await fs.mkdtemp(
            path.join(ctx.workspacePath, 'propose-'),
          );
          const content = path.join(scratch, 'catalog-info.yaml');
          await fs.writeFile(content, after);
          const index = { GIT_INDEX_FILE: path.join(scratch, 'index') };
          const blob = await git(['hash-object', '-w', content]);
          const mode = (await git(['ls-tree', 'HEAD', '--', file])).split(
            ' ',
          )[0];
          await git(['read-tree', 'HEAD'], index);
          await git(
            [
              'update-index',
              '--cacheinfo',
              `${mode || '100644'},${blob},${file}`,
            ],
            index,
          );
          const tree = await git(['write-tree'], index);
          const message = [
            `Propose for agent ${name}: ${describeChange(change)}`,
            ...(reason ? ['', reason] : []),
          ].join('\n');
          const created = await git([
            'commit-tree',
            tree,
            '-p',
            baseCommit,
            '-m',
            message,
          ]);
          await git(['branch', branch, created]);
          if (forge) await git(['push', '--quiet', 'origin', branch]);
          return created;
        },
      });
      ctx.output('commit', commit);
      if (!forge) {
        ctx.logger.info(
          `Proposed on branch ${branch} of ${repoPath} (${commit}); merge it to apply the change`,
        );
        return;
      }
      const reviewUrl = await ctx.checkpoint({
        key: `propose-review-${name}-${branch}`,
        fn: () =>
          forge.openReview({
            branch,
            title: `Propose for agent ${name}: ${describeChange(change)}`,
            body: [
              `Proposed from the Cellport portal: ${describeChange(change)}.`,
              ...(reason ? ['', reason] : []),
              '',
              "Merging applies it: the catalog reads the file again and the reconciler pushes the routing to the cell's gateway.",
            ].join('\n'),
          }),
      });
      ctx.output('reviewUrl', reviewUrl);
      ctx.logger.info(
        `Proposed on branch ${branch} of ${forge.webUrl} (${commit}): ${reviewUrl}`,
      );
    },
  });
}
