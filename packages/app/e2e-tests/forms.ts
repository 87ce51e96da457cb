import { expect, Page, test } from '@playwright/test';

/** Picks an option of an autocomplete (entity or placement picker) by its visible text. */
export async function pick(page: Page, label: string, option: string) {
  const field = page.getByRole('textbox', { name: label }).first();
  // Typing opens the list, as it does for a user. No click first: a click also waits for the
  // field to stop moving, and a form still laying itself out once kept a run waiting 90 s.
  await field.fill(option);
  await page.getByRole('option').filter({ hasText: option }).first().click();
}

/** Chooses a value of a form select (an enum) by the label the form shows for it. */
export async function choose(page: Page, label: string, option: string) {
  await page.getByLabel(label).first().click();
  await page.getByRole('option', { name: option }).click();
}

/** Signs in as a guest and opens a template's form from the Create page. */
export async function openTemplate(page: Page, title: string) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await nav.getByRole('link', { name: 'Create', exact: true }).click();
  await page
    .getByText(title, { exact: true })
    .locator(
      'xpath=ancestor::*[.//button[@data-testid="template-card-actions--create"]][1]',
    )
    .getByTestId('template-card-actions--create')
    .click();
}

/** Reveals a run's one-time key on the reveal page: the key and its cell's gateway (`…/v1`). */
export async function revealKey(page: Page) {
  await page.getByRole('button', { name: 'Reveal key' }).click();
  return {
    key: (await page.getByLabel('API key').textContent())!,
    gatewayV1: (await page.getByLabel('Gateway URL').textContent())!,
  };
}

/** One chat completion with a key, as a client would send it; its HTTP status. */
export async function chatStatus(
  page: Page,
  gatewayV1: string,
  key: string,
  model: string,
  content: string,
) {
  const send = () =>
    page.request.post(`${gatewayV1}/chat/completions`, {
      headers: { Authorization: `Bearer ${key}` },
      data: { model, messages: [{ role: 'user', content }], max_tokens: 16 },
    });
  const response = await send();
  // The demo's simulator answers 0.1% of requests with a 500 on purpose, and an agent allowed
  // one model has no fallback: that one answer is tried once more, as a client would, and the
  // retry is written on the test's report. Anything else (a refused key, a misconfigured
  // upstream's 401/403/404) is never retried.
  if (
    response.status() === 502 &&
    (await response.text()).includes('upstream failed (500)')
  ) {
    test.info().annotations.push({
      type: 'retried',
      description: `${model}: the upstream's 500 (the demo simulator's error rate)`,
    });
    return (await send()).status();
  }
  return response.status();
}

/** Signs in as the guest; signed in once the sidebar shows, since leaving earlier signs out. */
export async function signIn(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: 'Cells', exact: true }),
  ).toBeVisible();
}
