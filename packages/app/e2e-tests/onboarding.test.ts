import { expect, test } from '@playwright/test';
import { chatStatus, openTemplate, pick } from './forms';

test('a guest onboards a tenant into a shared cell through the form', async ({
  page,
}) => {
  const name = `e2e-${Date.now().toString(36)}`;
  await openTemplate(page, 'Onboard a tenant');
  await page.getByLabel('Name').first().fill(name);
  await page.getByLabel('Display name').fill('E2E Travel');
  await pick(page, 'Owner', 'Northwind Data Platform');
  await page.getByRole('button', { name: 'Next' }).click();

  await pick(page, 'Shared cell', 'EU West shared cell 1');
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('Monthly budget (US dollars)').fill('500');
  // Another tenant's dedicated capacity is not offered to a shared tenant, and the form says
  // why; the plan step and the catalog refuse it too (templates.test.ts, the processor's tests).
  const allowedModels = page.getByRole('textbox', { name: 'Allowed models' });
  await allowedModels.click();
  const meridianModel = page
    .getByRole('option')
    .filter({ hasText: "Llama 3.1 70B on Meridian's GPUs" });
  await expect(meridianModel).toHaveAttribute('aria-disabled', 'true');
  await meridianModel.scrollIntoViewIfNeeded();
  await expect(meridianModel).toContainText(
    `llama-3-1-70b-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian-bank); tenant "${name}" is not hosted there`,
  );
  await page.screenshot({
    path: 'test-results/screenshots/onboarding-private-model-refused.png',
    fullPage: true,
  });
  await page.keyboard.press('Escape');
  await pick(
    page,
    'Allowed models',
    'Azure OpenAI GPT-4o mini (Sweden Central)',
  );
  await page.getByRole('button', { name: 'Next' }).click();
  // Publish to the portal's local repositories, the default.
  await page.getByRole('button', { name: 'Review' }).click();
  await page.screenshot({
    path: 'test-results/screenshots/onboarding-review.png',
    fullPage: true,
  });
  await page.getByRole('button', { name: 'Create' }).click();

  // The run's output holds no key, only a link that reveals it once.
  const revealLink = page.getByRole('link', {
    name: 'Reveal the API key (once)',
  });
  await expect(revealLink).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/cpk_[A-Za-z0-9_-]{32}/)).toHaveCount(0);
  await page.screenshot({
    path: 'test-results/screenshots/onboarding-done.png',
    fullPage: true,
  });
  const runPage = page.url();
  await revealLink.click();
  await page.getByRole('button', { name: 'Reveal key' }).click();
  const key = (await page.getByLabel('API key').textContent())!;
  expect(key).toMatch(/^cpk_[A-Za-z0-9_-]{32}$/);
  await page.screenshot({
    path: 'test-results/screenshots/onboarding-key.png',
    fullPage: true,
  });
  // The reveal page names the cell's gateway, where the run pushed the key: it works at once.
  const gatewayV1 = (await page.getByLabel('Gateway URL').textContent())!;
  expect(gatewayV1).toBe('http://127.0.0.1:7081/v1');
  // Through the journeys' helper: the demo simulator's deliberate 500s get their one retry.
  expect(
    await chatStatus(
      page,
      gatewayV1,
      key,
      'azure-gpt-4o-mini-eu',
      'Plan a weekend in Lisbon',
    ),
  ).toBe(200);
  // A second visit to the link shows nothing.
  await page.reload();
  await page.getByRole('button', { name: 'Reveal key' }).click();
  await expect(
    page.getByText(/already revealed, or the link expired/),
  ).toBeVisible();
  await page.goto(runPage);

  // The catalog reads the new repository within seconds; open the page once it has.
  const backend = 'http://localhost:7007';
  const { backstageIdentity } = await (
    await page.request.get(
      `${backend}/api/auth/guest/refresh?env=development`,
      {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      },
    )
  ).json();
  await expect
    .poll(
      async () =>
        (
          await page.request.get(
            `${backend}/api/catalog/entities/by-name/tenant/default/${name}`,
            { headers: { Authorization: `Bearer ${backstageIdentity.token}` } },
          )
        ).status(),
      { timeout: 60_000 },
    )
    .toBe(200);
  await page.getByRole('link', { name: 'Tenant' }).first().click();
  const configuration = page.getByRole('table', {
    name: 'Tenant configuration',
  });
  await expect(configuration).toContainText('$500.00');
  await expect(configuration).toContainText('shared');
  await page.screenshot({
    path: 'test-results/screenshots/onboarding-tenant.png',
    fullPage: true,
  });
});
