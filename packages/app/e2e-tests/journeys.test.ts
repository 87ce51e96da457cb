import { expect, test } from '@playwright/test';
import { chatStatus, choose, openTemplate, pick, revealKey } from './forms';

test("a dedicated tenant's new cell gets a gateway, and the revealed key works on it", async ({
  page,
}) => {
  const name = `e2e-ded-${Date.now().toString(36)}`;
  await openTemplate(page, 'Onboard a tenant');
  await page.getByLabel('Name').first().fill(name);
  await page.getByLabel('Display name').fill('E2E Dedicated Bank');
  await pick(page, 'Owner', 'Meridian Bank Risk AI');
  await page.getByRole('button', { name: 'Next' }).click();

  await choose(page, 'Isolation', 'Dedicated cell (a cluster of its own)');
  await page.getByRole('textbox', { name: 'Home region' }).fill('us-east-1');
  await page
    .getByRole('textbox', { name: 'Cluster' })
    .fill(`eks-us-east-1-${name}`);
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('Monthly budget (US dollars)').fill('900');
  // Another tenant's private capacity is not offered, and the form says why.
  const allowedModels = page.getByRole('textbox', { name: 'Allowed models' });
  await allowedModels.click();
  const meridianModel = page
    .getByRole('option')
    .filter({ hasText: "Llama 3.1 70B on Meridian's GPUs" });
  await expect(meridianModel).toHaveAttribute('aria-disabled', 'true');
  await meridianModel.scrollIntoViewIfNeeded();
  await expect(meridianModel).toContainText(
    'private capacity of the dedicated cell "meridian-dedicated"',
  );
  await page.screenshot({
    path: 'test-results/screenshots/journey-dedicated-models.png',
    fullPage: true,
  });
  await page.keyboard.press('Escape');
  await pick(page, 'Allowed models', 'Azure OpenAI GPT-4o (East US)');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  const revealLink = page.getByRole('link', {
    name: 'Reveal the API key (once)',
  });
  await expect(revealLink).toBeVisible({ timeout: 90_000 });
  // The run waited for the new cell's gateway and names it.
  await expect(page.getByText(/knows the key now/)).toBeVisible();
  await page.screenshot({
    path: 'test-results/screenshots/journey-dedicated-done.png',
    fullPage: true,
  });
  await revealLink.click();
  const { key, gatewayV1 } = await revealKey(page);
  expect(gatewayV1).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  await expect(page.getByLabel('First call')).toContainText(
    `curl -s ${gatewayV1}/chat/completions`,
  );
  await page.screenshot({
    path: 'test-results/screenshots/journey-dedicated-key.png',
    fullPage: true,
  });

  // Before its first request, the new cell's objectives read "no data", not "ok".
  await page.goto(`/catalog/default/cell/${name}-dedicated/dashboard`);
  const gateway = page.getByRole('region', { name: 'AI Gateway' });
  await expect(gateway).toContainText('Current SLIno traffic');
  await expect(gateway.getByLabel('gateway-availability state')).toHaveText(
    'no data',
  );
  await page.screenshot({
    path: 'test-results/screenshots/journey-dedicated-no-data.png',
    fullPage: true,
  });

  expect(
    await chatStatus(
      page,
      gatewayV1,
      key,
      'azure-gpt-4o-us',
      'Summarise my statement',
    ),
  ).toBe(200);

  // The cell's Runtime card says where its gateway comes from and that it is in sync.
  await page.goto(`/catalog/default/cell/${name}-dedicated/dashboard`);
  const runtime = page.getByRole('table', { name: 'Runtime' });
  await expect(runtime).toContainText(
    `${gatewayV1.replace(
      /\/v1$/,
      '',
    )}, running (started by the portal (local runtime))`,
  );
  await expect(runtime).toContainText('in sync');
  await page.screenshot({
    path: 'test-results/screenshots/journey-dedicated-runtime.png',
    fullPage: true,
  });
});

test("a service owner registers an agent; its own key's calls show as the agent's", async ({
  page,
}) => {
  const name = `e2e-agent-${Date.now().toString(36)}`;
  await openTemplate(page, 'Register an agent');
  await page.getByLabel('Name').first().fill(name);
  await pick(page, 'Owner', 'Northwind Commerce Engineering');
  await pick(page, 'Tenant', 'Northwind Retail');
  await page.getByRole('button', { name: 'Next' }).click();

  // Only the tenant's allowlisted models it may use are offered; the others say why not.
  await page
    .getByRole('textbox', { name: 'Preferred models, in order' })
    .click();
  const meridianModel = page
    .getByRole('option')
    .filter({ hasText: "Llama 3.1 70B on Meridian's GPUs" });
  await expect(meridianModel).toHaveAttribute('aria-disabled', 'true');
  await meridianModel.scrollIntoViewIfNeeded();
  await expect(meridianModel).toContainText(
    "is not on northwind-retail's model allowlist",
  );
  await page.keyboard.press('Escape');
  await pick(
    page,
    'Preferred models, in order',
    'Azure OpenAI GPT-4o mini (Sweden Central)',
  );
  for (let step = 0; step < 4; step++) {
    const review = page.getByRole('button', { name: 'Review' });
    if (await review.isVisible()) break;
    await page.getByRole('button', { name: 'Next' }).click();
  }
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  const revealLink = page.getByRole('link', { name: /Reveal .*API key/ });
  await expect(revealLink).toBeVisible({ timeout: 90_000 });
  await page.screenshot({
    path: 'test-results/screenshots/journey-agent-done.png',
    fullPage: true,
  });
  await revealLink.click();
  const { key, gatewayV1 } = await revealKey(page);
  await expect(page.getByText(name, { exact: true })).toBeVisible();
  await page.screenshot({
    path: 'test-results/screenshots/journey-agent-key.png',
    fullPage: true,
  });
  expect(
    await chatStatus(
      page,
      gatewayV1,
      key,
      'azure-gpt-4o-mini-eu',
      'Where is order 1234?',
    ),
  ).toBe(200);

  // The call is the agent's: its Routing tab lists it within a minute.
  await page.goto(`/catalog/default/agent/${name}/routing?range=1h`);
  await expect(async () => {
    await page.reload();
    await expect(page.locator('tbody tr').first()).toContainText(
      'azure-gpt-4o-mini-eu',
      { timeout: 3_000 },
    );
  }).toPass({ timeout: 60_000 });
  await page.screenshot({
    path: 'test-results/screenshots/journey-agent-routing.png',
    fullPage: true,
  });
});
