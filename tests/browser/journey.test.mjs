// Headless Chromium through nginx: sign in, see real figures, switch language,
// keep screenshots as artifacts (tests/browser/artifacts/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, artifacts, openPage } from './browser.mjs';

const user = process.env.BROWSER_USER, password = process.env.BROWSER_PASSWORD;
let browser, page;

before(async () => { ({ browser, page } = await openPage()); });
after(async () => { await browser?.close(); });

test('a wrong password is refused with a message beside the form', async () => {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('button[type=submit] >> text=Sign in');
  assert.match(await page.textContent('[data-testid=login-error]'), /Wrong user name or password/);
});

test('signing in shows the dashboard with figures from the database', async () => {
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit] >> text=Sign in')]);
  assert.equal(await page.textContent('h1'), 'Dashboard');
  const posts = Number(await page.textContent('[data-testid=count-posts]'));
  assert.equal(posts, Number(process.env.EXPECTED_POSTS));
  await page.screenshot({ path: `${artifacts}/dashboard-en.png`, fullPage: true });
});

test('switching to Chinese re-renders the page in Chinese and keeps the choice', async () => {
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('[data-testid=lang-switch]')]);
  assert.equal(await page.textContent('h1'), '仪表盘');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.textContent('[data-testid=who]'), /Browser Tester · 市场/);
  await page.reload();
  assert.equal(await page.textContent('h1'), '仪表盘');
  await page.screenshot({ path: `${artifacts}/dashboard-zh.png`, fullPage: true });
});

test('on a phone-wide screen (375 px) no page is pushed sideways: the header wraps, tables scroll', async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  try {
    await page.goto(`${base}/dashboard`);   // (in Chinese here: the longer navigation labels)
    const link = await page.locator('header.top nav a').first().boundingBox();
    assert.ok(link.height < 40, `a navigation link stays on one line (${link.height} px high)`);
    await page.screenshot({ path: `${artifacts}/dashboard-narrow.png`, fullPage: true });
    for (const path of ['/dashboard', '/inbox', '/contacts', '/accounts', '/rules', '/kb', '/sessions']) {
      await page.goto(`${base}${path}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 375, `${path} is ${wide} px wide`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 720 });
  }
});

test('the page runs no inline script and loads only same-origin resources', async () => {
  const csp = (await page.goto(`${base}/dashboard`)).headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.equal(await page.locator('script:not([src])').count(), 0);
});

test('the accounts page shows each harvested stream and the platform\'s refusal', async () => {
  await page.goto(`${base}/accounts`);
  const cards = page.locator('section.account');
  assert.ok(await cards.count() >= 1, 'at least one connected account');
  // The end-to-end suite left accounts whose tokens the fake platforms refused
  // (Mastodon's revoked one among them), each flagged in the platform's words.
  const refused = page.locator('[data-testid=account-message]');
  assert.ok(await refused.count() >= 1, 'the revoked account is flagged');
  const messages = await refused.allTextContents();
  assert.ok(messages.some((m) => /The access token is invalid/.test(m)), `Mastodon's words among ${messages.join(' | ')}`);
  await page.screenshot({ path: `${artifacts}/accounts.png`, fullPage: true });
});
