// What every journey starts with: Debian's Chromium, headless, an English
// page on the test stack, and signing in.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const base = `http://127.0.0.1:${process.env.PARLEY_HTTP_PORT}`;
export const artifacts = new URL('./artifacts/', import.meta.url).pathname;

// A browser and a page in it (close the browser when done).
export async function openPage() {
  mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  return { browser, page };
}

// Sign in through the form and land on the dashboard.
export async function signIn(page, user, password) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit] >> text=Sign in')]);
}
