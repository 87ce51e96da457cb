import { CATALOG_PROCESSING_INTERVAL } from './__testUtils__/catalogProcessing';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import unprocessedEntitiesModule from '@backstage/plugin-catalog-backend-module-unprocessed';
import platformCatalogModule from '@cellport/plugin-catalog-backend-module-platform';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';

const repoRoot = path.resolve(__dirname, '../../..');
const invalidFixtures = path.join(
  repoRoot,
  'plugins/platform-common/src/__fixtures__/invalid-entities.yaml',
);
const danglingFixtures = path.join(
  __dirname,
  '__fixtures__/dangling-references.yaml',
);

function entitiesIn(file: string): Entity[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map(
    d => d.toJS() as Entity,
  );
  return docs.flatMap(doc =>
    doc.kind === 'Location'
      ? (doc.spec!.targets as string[]).flatMap(t =>
          entitiesIn(path.resolve(path.dirname(file), t)),
        )
      : [doc],
  );
}

const expectedRefs = [
  ...entitiesIn(path.join(repoRoot, 'catalog-info.yaml')),
  ...entitiesIn(path.join(repoRoot, 'examples/all.yaml')),
].map(e => stringifyEntityRef(e));

const databases = TestDatabases.create({
  ids: ['POSTGRES_16', 'SQLITE_3'],
  disableDocker: true,
});

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Polls until every expected entity is in and the six broken fixtures carry processing errors.
 * An entity that never processed is "pending" or "failed" to the unprocessed-entities API
 * depending on whether the stitcher has seen it yet, so both lists are read.
 */
async function waitForCatalog(server: any, auth: Record<string, string>) {
  let refs = new Set<string>();
  let failed: any[] = [];
  for (let attempt = 0; attempt < 240; attempt++) {
    const [entities, failing, pending] = await Promise.all([
      request(server).get('/api/catalog/entities').set(auth),
      request(server).get('/api/catalog/entities/unprocessed/failed').set(auth),
      request(server)
        .get('/api/catalog/entities/unprocessed/pending')
        .set(auth),
    ]);
    refs = new Set(entities.body.map((e: Entity) => stringifyEntityRef(e)));
    failed = [
      ...(failing.body.entities ?? []),
      ...(pending.body.entities ?? []),
    ].filter(e => e.errors?.length > 0);
    const seen = refs;
    if (expectedRefs.every(r => seen.has(r)) && failed.length === 6) break;
    await sleep(500);
  }
  return { refs, failed };
}

describe('the catalog with the platform module', () => {
  it.each(databases.eachSupportedId())(
    'serves the platform and demo catalogs with zero processing errors on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          unprocessedEntitiesModule,
          platformCatalogModule,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                processingInterval: CATALOG_PROCESSING_INTERVAL,
                rules: [
                  {
                    allow: [
                      'Domain',
                      'System',
                      'Component',
                      'API',
                      'Resource',
                      'Location',
                      'Group',
                      'User',
                      'Tenant',
                      'Cell',
                      'Agent',
                      'ModelProfile',
                      'InferenceDeployment',
                    ],
                  },
                ],
                locations: [
                  path.join(repoRoot, 'catalog-info.yaml'),
                  path.join(repoRoot, 'examples/all.yaml'),
                  invalidFixtures,
                  danglingFixtures,
                ].map(target => ({ type: 'file', target })),
              },
            },
          }),
        ],
      });
      const server = backend.server;
      const auth = { Authorization: mockCredentials.user.header() };
      try {
        // Entities arrive in any order; references resolve on the next processing pass.
        const { refs, failed } = await waitForCatalog(server, auth);

        expect(expectedRefs.filter(r => !refs.has(r))).toEqual([]);

        const errorsByName = Object.fromEntries(
          failed.map(f => [
            f.unprocessed_entity.metadata.name,
            JSON.stringify(f.errors),
          ]),
        );
        expect(Object.keys(errorsByName).sort()).toEqual([
          'broken-agent',
          'broken-cell',
          'broken-inference',
          'broken-model',
          'broken-tenant',
          'orphan-agent',
        ]);
        for (const entity of entitiesIn(invalidFixtures)) {
          expect(errorsByName[entity.metadata.name]).toContain(
            entity.metadata.annotations!['cellport.dev/expected-error'],
          );
        }
        expect(errorsByName['orphan-agent']).toContain(
          'spec.cell: cell:default/atlantis-shared-9 does not exist in the catalog',
        );

        const tenant = await request(server)
          .get('/api/catalog/entities/by-name/tenant/default/northwind-retail')
          .set(auth);
        expect(tenant.body.relations).toEqual(
          expect.arrayContaining([
            { type: 'hostedBy', targetRef: 'cell:default/eu-west-shared-1' },
            { type: 'ownedBy', targetRef: 'group:default/northwind-commerce' },
            { type: 'hasPart', targetRef: 'agent:default/checkout-assistant' },
          ]),
        );
        const agent = await request(server)
          .get('/api/catalog/entities/by-name/agent/default/fraud-triage')
          .set(auth);
        expect(agent.body.relations).toEqual(
          expect.arrayContaining([
            { type: 'partOf', targetRef: 'tenant:default/meridian-bank' },
            { type: 'hostedBy', targetRef: 'cell:default/meridian-dedicated' },
            {
              type: 'dependsOn',
              targetRef: 'modelprofile:default/llama-3-1-70b-meridian',
            },
            {
              type: 'dependsOn',
              targetRef: 'modelprofile:default/azure-gpt-4o-us',
            },
          ]),
        );
        const deployment = await request(server)
          .get(
            '/api/catalog/entities/by-name/inferencedeployment/default/qwen2-5-32b-helios',
          )
          .set(auth);
        expect(deployment.body.relations).toEqual(
          expect.arrayContaining([
            {
              type: 'providesModel',
              targetRef: 'modelprofile:default/qwen2-5-32b-helios',
            },
            { type: 'hostedBy', targetRef: 'cell:default/helios-vpc' },
          ]),
        );
      } finally {
        await backend.stop();
      }
    },
    120_000,
  );
});
