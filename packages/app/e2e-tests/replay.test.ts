import { expect, Page, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { signIn } from './forms';

const repoRoot = path.resolve(__dirname, '../../..');
const git = (...args: string[]) =>
  execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' });

const shot = (page: Page, name: string) =>
  page.screenshot({
    path: `test-results/screenshots/${name}.png`,
    fullPage: true,
  });

test("an SRE replays a cell's last day under a cheaper policy and reads what it would have cost", async ({
  page,
}) => {
  await signIn(page);
  await page.goto('/catalog/default/cell/meridian-dedicated/routing?range=24h');

  await page.getByLabel('What if…').selectOption('policy');
  await page.getByLabel('Agent').selectOption('fraud-triage');
  await page.getByLabel('Policy').selectOption('cost');
  await page.getByRole('button', { name: 'Replay' }).click();

  // What the SRE reads: how many decisions were replayed, what they cost as they happened and
  // what they would have cost, per agent, and what the replay cannot know.
  const totals = page.getByRole('table', { name: 'Replay totals' });
  await expect(totals).toContainText('Cost under the change', {
    timeout: 120_000,
  });
  const replayed = await totals
    .getByRole('row')
    .filter({ hasText: 'Decisions replayed' })
    .textContent();
  expect(Number(replayed!.replace(/\D/g, ''))).toBeGreaterThan(0);
  await expect(totals).toContainText(/Cost as it happened\$[0-9]/);
  await expect(
    page.getByRole('table', { name: 'Cost by agent' }),
  ).toContainText('fraud-triage');
  await expect(page.getByRole('list', { name: 'Caveats' })).not.toBeEmpty();
  await shot(page, 'routing-replay');
  // The panel alone, readable at full size.
  await page
    .locator('.MuiCard-root', { has: totals })
    .screenshot({ path: 'test-results/screenshots/routing-replay-panel.png' });
});

test('from a model profile, an SRE replays an outage of it on a cell that routes to it', async ({
  page,
}) => {
  await signIn(page);
  // Its overview first: the features the gateway routes it on, logprobs from its API.
  await page.goto('/catalog/default/modelprofile/azure-gpt-4o-eu');
  await expect(
    page
      .getByRole('table', { name: 'ModelProfile configuration' })
      .getByRole('row', { name: /Features/ }),
  ).toContainText('tools, vision, json-mode, logprobs (logprobs from its API)');
  await shot(page, 'model-profile-overview');
  await page.goto(
    '/catalog/default/modelprofile/azure-gpt-4o-eu/what-if?range=24h',
  );

  // The cells whose tenants may route to the profile, and the outage already proposed.
  const cell = page.getByLabel('Cell whose decisions to replay');
  await expect(cell).toHaveValue('eu-west-shared-1');
  await expect(page.getByLabel('What if…')).toHaveValue('down');
  await expect(page.getByLabel('Model profile')).toHaveValue('azure-gpt-4o-eu');
  await page.getByRole('button', { name: 'Replay' }).click();

  const totals = page.getByRole('table', { name: 'Replay totals' });
  await expect(totals).toContainText('Cost under the change', {
    timeout: 120_000,
  });
  const replayed = await totals
    .getByRole('row')
    .filter({ hasText: 'Decisions replayed' })
    .textContent();
  expect(Number(replayed!.replace(/\D/g, ''))).toBeGreaterThan(0);
  await shot(page, 'model-profile-what-if');

  // A route the outage changed opens beside what the replay made of it: the profile that
  // served then, dropped under the change.
  await page
    .getByRole('table', { name: 'Changed routes' })
    .getByRole('row')
    .filter({ has: page.getByRole('button'), hasText: /the change$/ })
    .first()
    .getByRole('button')
    .click();
  const happened = page.getByRole('region', { name: 'As it happened' });
  await expect(
    happened.getByRole('table', { name: 'Decision', exact: true }),
  ).toContainText('Chosen route');
  const proposed = page.getByRole('region', {
    name: 'Under the proposed change',
  });
  await expect(
    proposed
      .getByRole('table', { name: 'Candidates under the proposed change' })
      .getByRole('row')
      .filter({ hasText: 'azure-gpt-4o-eu' })
      .first(),
  ).toContainText('dropped');
  await expect(
    proposed.getByRole('table', {
      name: 'Under the proposed change',
      exact: true,
    }),
  ).toContainText('Why it differsthe change');
  await shot(page, 'replay-side-by-side');
});

test("an SRE reads a cell's recommendations and proposes one for review, as a branch of the demo's repository", async ({
  page,
}) => {
  await signIn(page);
  await page.goto('/catalog/default/cell/eu-west-shared-1/recommendations');
  const table = page.getByRole('table', { name: 'Recommendations' });
  await expect(table).toBeVisible({ timeout: 120_000 });
  const first = table.locator('tbody tr').first();
  await expect(first.locator('td').first()).toHaveText('1');
  await expect(first.locator('td').nth(3)).toHaveText(/^\$[0-9,.]+$/);
  await expect(
    first.getByRole('link', { name: 'Propose this change' }),
  ).toHaveAttribute(
    'href',
    /\/create\/templates\/default\/agent-change\?formData=/,
  );
  await shot(page, 'cell-recommendations');

  // The demo's agents live in this repository (examples/): the proposal is a branch of it,
  // and the checkout the portal reads stays as it is.
  const head = git('rev-parse', 'HEAD').trim();
  await first.getByRole('link', { name: 'Propose this change' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  const proposal = page.getByText(/holds commit/);
  await expect(proposal).toBeVisible({ timeout: 60_000 });
  const text = (await proposal.textContent())!;
  const branch = text.match(/Branch (cellport\/propose\/[a-z0-9-]+)/)?.[1];
  expect(branch, text).toBeDefined();
  await shot(page, 'cell-recommendation-proposed');
  try {
    expect(git('diff', '--name-only', head, branch!).trim()).toBe(
      'examples/agents.yaml',
    );
    expect(git('log', '-1', '--format=%s', branch!)).toMatch(
      /^Propose for agent [a-z0-9-]+: /,
    );
    expect(git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(git('status', '--porcelain', '--', 'examples')).toBe('');
  } finally {
    git('branch', '-D', branch!);
  }
});
