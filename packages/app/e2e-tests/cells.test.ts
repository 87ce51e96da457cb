import { expect, test } from '@playwright/test';

test('a guest opens Cells, then a cell and an agent', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();

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
  await page.screenshot({
    path: 'test-results/screenshots/cells.png',
    fullPage: true,
  });

  await meridian.click();
  const configuration = page.getByRole('table', { name: 'Cell configuration' });
  await expect(configuration).toContainText('dedicated');
  await expect(configuration).toContainText('eks-us-east-1-meridian');
  await expect(configuration).toContainText(
    'gateway-availability: 99.99% (30d)',
  );
  await page.screenshot({
    path: 'test-results/screenshots/cell.png',
    fullPage: true,
  });

  await page.goto('/catalog/default/agent/fraud-triage');
  const agent = page.getByRole('table', { name: 'Agent configuration' });
  await expect(agent).toContainText('quality');
  await expect(agent).toContainText('Lifecycleproduction');
  await expect(agent).toContainText("Llama 3.1 70B on Meridian's GPUs");
  await page.screenshot({
    path: 'test-results/screenshots/agent.png',
    fullPage: true,
  });
});
