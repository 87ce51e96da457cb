import { expect, Page, test } from '@playwright/test';

const shot = (page: Page, name: string, fullPage = true) =>
  page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage });

/**
 * React development warnings that come from Backstage's own dependencies (Material UI v4 and
 * material-table), not from this app; production builds do not log them.
 */
const THIRD_PARTY_DEV_WARNINGS = [
  /findDOMNode is deprecated/,
  /Support for defaultProps/,
];

/**
 * Collects console errors the portal logs from now on. Failed requests count too: a cell the
 * reconciler has not synced yet answers 200 with `seen: false`, not a 404.
 */
function collectConsoleErrors(page: Page) {
  const errors: string[] = [];
  page.on('console', message => {
    const text = message.text();
    if (
      message.type() === 'error' &&
      !THIRD_PARTY_DEV_WARNINGS.some(w => w.test(text))
    )
      errors.push(text);
  });
  page.on('pageerror', error => errors.push(error.message));
  return errors;
}

test('a guest opens Cells, then a cell and an agent', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  // The catalog's home lists the platform's cells, all of them: not the Components a guest
  // owns (none).
  await expect(
    page.getByRole('link', { name: 'Meridian Bank dedicated cell' }),
  ).toBeVisible();
  await shot(page, 'catalog-home');

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await nav.getByRole('link', { name: 'Cells', exact: true }).click();

  await expect(page).toHaveURL(/\/cells$/);
  const meridian = page.getByRole('link', {
    name: 'Meridian Bank dedicated cell',
  });
  await expect(meridian).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'EU West shared cell 1' }),
  ).toBeVisible();
  // The platform backend's columns: SLO state and runtime sync of every cell.
  const meridianRow = page.getByRole('row').filter({ has: meridian });
  // The demo backfills Meridian's history, so its state is known: never "no data".
  await expect(meridianRow).toContainText(/ok|burning|exhausted/);
  await expect(meridianRow).not.toContainText('no data');
  await expect(meridianRow).toContainText(
    /in sync|drift|failing|pending|not synced yet/,
  );
  // Its month-to-date cost includes its GPUs (the Llama's pods), not only tokens.
  await expect(meridianRow).toContainText(/incl\. GPUs \$[1-9]/);
  await shot(page, 'cells');

  await meridian.click();
  const configuration = page.getByRole('table', { name: 'Cell configuration' });
  await expect(configuration).toContainText('dedicated');
  await expect(configuration).toContainText('eks-us-east-1-meridian');
  await expect(configuration).toContainText(
    'gateway-availability: 99.99% (30d)',
  );
  // The Relations card draws the platform's relations (the tenant the cell hosts), not only
  // its owner.
  const relations = page
    .getByRole('article')
    .filter({ has: page.getByRole('heading', { name: 'Relations' }) });
  await expect(relations).toContainText('hosts / hostedBy');
  await expect(relations).toContainText('Meridian Bank');
  await expect(relations).toContainText('ownerOf / ownedBy');
  await shot(page, 'cell');

  await page.goto('/catalog/default/agent/fraud-triage');
  const agent = page.getByRole('table', { name: 'Agent configuration' });
  await expect(agent).toContainText('quality');
  await expect(agent).toContainText('Lifecycleproduction');
  await expect(agent).toContainText("Llama 3.1 70B on Meridian's GPUs");
  await shot(page, 'agent');
});

test('an SRE reads a cell dashboard, changes the range and opens a routing decision', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await nav.getByRole('link', { name: 'Cells', exact: true }).click();
  // From here on: the catalog's own index page logs a React key warning of its own.
  const consoleErrors = collectConsoleErrors(page);
  await page
    .getByRole('link', { name: 'Meridian Bank dedicated cell' })
    .click();
  // The entity page has loaded (its tabs render before the entity arrives, and a click on
  // one then can be lost to the re-render).
  await expect(
    page.getByRole('table', { name: 'Cell configuration' }),
  ).toBeVisible();
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await expect(async () => {
    await tabs.getByRole('link', { name: 'Dashboard' }).click();
    await expect(page).toHaveURL(/\/cell\/meridian-dedicated\/dashboard/, {
      timeout: 3_000,
    });
  }).toPass();

  // SLO cards with numbers: the SLI and the error budget left, as percentages.
  const availability = page
    .getByText('gateway-availability', { exact: true })
    .first();
  await expect(availability).toBeVisible();
  await expect(page.getByText('Current SLI').first()).toBeVisible();
  await expect(
    page.getByRole('table', { name: 'gateway-availability burn rates' }),
  ).toContainText('1h & 5m');
  await expect(page.getByRole('table', { name: 'Runtime' })).toContainText(
    'Last pushed version',
  );
  await expect(
    page.getByRole('img', { name: 'Requests by outcome over time' }),
  ).toBeVisible();
  // No Alertmanager runs beside the demo: the alerts card says so instead of "nothing fires"
  // next to an SLO card that pages.
  await expect(
    page.getByText(
      /^Alertmanager has sent no firing alert for meridian-dedicated, but the portal's own burn rates alert on .*gateway-availability/,
    ),
  ).toBeVisible();
  // Every runtime service of the cell has its SLO cards; without a Prometheus to read, the
  // services the portal gets no events from say so instead of showing figures.
  await expect(
    page.getByLabel('tool-gateway-availability state'),
  ).toContainText('Prometheus not configured');
  await shot(page, 'cell-dashboard');

  // Meridian's demo history spends its availability budget: the card says so in one word and
  // links to the failed requests of the window that burned it.
  await expect(
    page.getByLabel('gateway-availability state', { exact: true }),
  ).toHaveText(/exhausted|burning/);
  await page
    .getByRole('link', { name: 'Requests that burned it' })
    .first()
    .click();
  await expect(page).toHaveURL(
    /\/cell\/meridian-dedicated\/routing\?range=[0-9a-z]+&outcome=error/,
  );
  await expect(page.locator('tbody tr').first()).toContainText('error');
  await shot(page, 'cell-burned-decisions');
  await page.goBack();

  // The time range lives in the URL, so the view can be pasted into an incident channel.
  await page.getByLabel('Time range').selectOption('6h');
  await expect(page).toHaveURL(/range=6h/);
  await expect(page.getByLabel('Time range')).toHaveValue('6h');
  await expect(
    page.getByText('Traffic share, Last 6 hours', { exact: true }),
  ).toBeVisible();

  await tabs.getByRole('link', { name: 'Cost' }).click();
  // Backstage's entity tabs link without the query; the picked range follows into the tab's URL.
  await expect(page).toHaveURL(/\/cost\?range=6h/);
  await expect(page.getByLabel('Time range')).toHaveValue('6h');
  await expect(page.getByText('Token cost', { exact: true })).toBeVisible();
  await expect(page.getByText('GPU cost', { exact: true })).toBeVisible();
  // The figures a reader compares: the range against the one before it, the budget with what
  // it covers (GPUs too), and what the GPU figures rest on (the demo's pods).
  await expect(
    page.getByLabel('Change against the previous period'),
  ).toContainText(/^Against the previous period of the same length \(\$/);
  const budget = page.getByRole('group', { name: 'meridian-bank budget' });
  await expect(budget).toContainText(
    /Covers LLM tokens \$[0-9.,]+ \+ GPUs \$[1-9]/,
  );
  await expect(budget).toContainText(
    /\$[0-9.,]+ left this month|Overspent by \$[0-9.,]+/,
  );
  await expect(
    page.getByText(/pods seen in the cluster/).first(),
  ).toBeVisible();
  await shot(page, 'cell-cost');

  await tabs.getByRole('link', { name: 'Routing' }).click();
  await expect(page).toHaveURL(/\/routing\?range=6h/);
  const firstDecision = page.locator('tbody tr').first();
  await expect(firstDecision).toContainText('meridian-bank');
  // At 1440 px every column fits or the table scrolls: a time or a model name is one line,
  // not a column of fragments.
  const oneLine = await firstDecision.locator('td').first().boundingBox();
  const chosen = await firstDecision.locator('td').nth(4).boundingBox();
  expect(oneLine!.height).toBeLessThan(44);
  expect(chosen!.height).toBeLessThan(44);
  await shot(page, 'cell-routing', false);
  await firstDecision.click();
  const drawer = page.getByRole('region', { name: 'Routing decision' });
  await expect(drawer.getByRole('table', { name: 'Candidates' })).toBeVisible();
  await expect(drawer).toContainText('Chosen route');
  await expect(drawer).toContainText('State version');
  await expect(page).toHaveURL(/decision=/);
  // What the SRE sees: the drawer over the table, not the table's full length.
  await shot(page, 'decision-drawer', false);

  // A tenant's keys: masked prefixes, or how to make the first one.
  await page.goto('/catalog/default/tenant/meridian-bank/dashboard');
  await expect(page.getByText('API keys', { exact: true })).toBeVisible();
  await shot(page, 'tenant-dashboard');

  await page.goto('/catalog/default/agent/fraud-triage/dashboard');
  await expect(
    page.getByText('Cost vs run budget', { exact: true }),
  ).toBeVisible();
  await expect(page.getByText('Current SLI').first()).toBeVisible();
  await shot(page, 'agent-dashboard');

  expect(consoleErrors).toEqual([]);
});
