import { defineConfig } from '@playwright/test';

// Browser tests run against the portal the test command starts (scripts/test.js), in Debian's
// chromium: Playwright's own browser downloads are not reachable from these machines.
export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  // A Kubernetes API server for the Meridian cell's cluster, which the portal is pointed at.
  globalSetup: './packages/app/e2e-tests/globalSetup.ts',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [['list'], ['json']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000',
    screenshot: 'only-on-failure',
    trace: 'off',
    viewport: { width: 1440, height: 900 },
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
