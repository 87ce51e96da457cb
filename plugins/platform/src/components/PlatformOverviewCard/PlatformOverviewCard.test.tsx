import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  entityRouteRef,
  EntityProvider,
} from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PlatformOverviewCard } from './PlatformOverviewCard';

const examples = path.resolve(__dirname, '../../../../../examples');

function demoEntity(file: string, name: string): Entity {
  const docs = parseAllDocuments(
    fs.readFileSync(path.join(examples, file), 'utf8'),
  ).map(d => d.toJS() as Entity);
  return docs.find(d => d.metadata.name === name)!;
}

async function renderCard(entity: Entity) {
  await renderInTestApp(
    <EntityProvider entity={entity}>
      <PlatformOverviewCard />
    </EntityProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
  return screen.getByRole('table', { name: `${entity.kind} configuration` });
}

describe('PlatformOverviewCard', () => {
  it('shows a tenant with its budget, limits and residency', async () => {
    const table = await renderCard(demoEntity('tenants.yaml', 'meridian-bank'));
    expect(table).toHaveTextContent('$40,000');
    expect(table).toHaveTextContent('3,000 requests/min, 2,000,000 tokens/min');
    expect(table).toHaveTextContent('pinned to us-east-1, eastus');
    expect(table).toHaveTextContent('CONFIDENTIAL');
  });

  it('shows a cell with its capacity and SLOs', async () => {
    const table = await renderCard(
      demoEntity('cells.yaml', 'meridian-dedicated'),
    );
    expect(table).toHaveTextContent('aws / us-east-1');
    expect(table).toHaveTextContent('1 of 1 tenants, 1,000 requests/s, 8 GPUs');
    expect(table).toHaveTextContent(
      'gateway-overhead-p95: 95.00% under 200 ms (30d)',
    );
  });

  it('names the default objectives of a cell that declares none', async () => {
    const table = await renderCard(
      demoEntity('cells.yaml', 'eu-west-shared-1'),
    );
    expect(table).toHaveTextContent(
      'none declared; the defaults apply: gateway-availability: 99.95% (28d); gateway-overhead-p95: 95.00% under 300 ms (28d); router-decision-p95: 95.00% under 50 ms (28d)',
    );
  });

  it('shows an agent with its routing and run budget', async () => {
    const table = await renderCard(
      demoEntity('agents.yaml', 'checkout-assistant'),
    );
    expect(table).toHaveTextContent('balanced');
    expect(table).toHaveTextContent(
      'order-lookup, delivery-estimate, returns-policy',
    );
    expect(table).toHaveTextContent(
      '$0.05 per run, 24,000 tokens per run, $1,500 per month',
    );
    expect(table).toHaveTextContent('300 requests/min, 200,000 tokens/min');
  });

  it('shows a model profile with prices per million tokens', async () => {
    const table = await renderCard(
      demoEntity('model-profiles.yaml', 'gpt-4o-mini'),
    );
    expect(table).toHaveTextContent(
      '$0.15 input, $0.60 output per million tokens',
    );
    expect(table).toHaveTextContent('128,000 tokens');
    expect(screen.getByRole('row', { name: /Type/ })).toHaveTextContent('chat');
    // What the gateway routes on: logprobs come with OpenAI's API.
    expect(screen.getByRole('row', { name: /Features/ })).toHaveTextContent(
      'tools, vision, json-mode, logprobs (logprobs from its API)',
    );
  });

  it("says which declared features a model profile's API cannot serve", async () => {
    const claude = demoEntity('model-profiles.yaml', 'claude-3-5-haiku');
    await renderCard({
      ...claude,
      spec: {
        ...claude.spec,
        capabilities: {
          ...(claude.spec as any).capabilities,
          features: ['tools', 'json-mode', 'logprobs'],
        },
      },
    });
    expect(screen.getByRole('row', { name: /Features/ })).toHaveTextContent(
      'tools (declared json-mode, logprobs, which its API cannot serve)',
    );
  });

  it('shows an inference deployment with its GPUs', async () => {
    const table = await renderCard(
      demoEntity('inference-deployments.yaml', 'llama-3-1-70b-meridian'),
    );
    expect(table).toHaveTextContent('4 × NVIDIA H100 80 GB per replica');
    expect(table).toHaveTextContent(
      'meta-llama/Llama-3.1-70B-Instruct (70.6B, bf16)',
    );
  });
});
