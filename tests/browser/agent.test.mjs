// An agent works a case from the inbox to resolved, in headless Chromium:
// inbox → conversation → open a case → take it → note → reply from a canned
// suggestion → resolve. Screenshots in tests/browser/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, artifacts, openPage, signIn } from './browser.mjs';

const postId = process.env.CASE_POST_ID;
let browser, page;

before(async () => {
  ({ browser, page } = await openPage());
  await signIn(page, process.env.AGENT_USER, process.env.BROWSER_PASSWORD);
});
after(async () => { await browser?.close(); });

test('the inbox lists the customer\'s post and leads to the conversation', async () => {
  await page.goto(`${base}/inbox`);
  const item = page.locator(`[data-testid=inbox-${postId}]`);
  assert.equal(await item.count(), 1, 'the post is on the first inbox page');
  await page.screenshot({ path: `${artifacts}/inbox-en.png`, fullPage: true });
  await Promise.all([page.waitForURL(`${base}/post?id=${postId}`), item.locator('text=Open the conversation').click()]);
  assert.equal(await page.locator('[data-testid=composer]').count(), 1);
});

test('opening a case from the conversation shows it with its SLA clock', async () => {
  await Promise.all([page.waitForURL(/\/case\?id=\d+$/), page.click('[data-testid=open-case]')]);
  assert.match(await page.textContent('[data-testid=case-state]'), /new|open/);
  assert.match(await page.textContent('[data-testid=sla]'), /First response/);
});

test('the agent takes the case and writes an internal note', async () => {
  await page.selectOption('select[name=staff_id]', 'me');
  await Promise.all([page.waitForURL(/\/case\?id=\d+$/), page.click('button >> text=Assign')]);
  assert.equal((await page.textContent('[data-testid=notice]')).trim(), 'Saved.', 'the page says the change was made');
  await page.fill('textarea[name=body]', 'Checked the order: it left the store late.');
  await Promise.all([page.waitForURL(/\/case\?id=\d+$/), page.click('button >> text=Add note')]);
  assert.match(await page.textContent('[data-testid=timeline]'), /left the store late/);
});

test('switching the language keeps a half-written note, filled in once', async () => {
  const caseUrl = page.url();
  await page.fill('textarea[name=body]', 'half-written note');
  await Promise.all([page.waitForURL(caseUrl), page.click('[data-testid=lang-switch]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'the page is in the other language');
  assert.equal(await page.inputValue('textarea[name=body]'), 'half-written note', 'the note is there');
  assert.ok(await page.isVisible('[data-testid=draft-carried]'), '… saying so');
  assert.doesNotMatch(await page.textContent('[data-testid=timeline]'), /half-written note/, '… and nothing was sent');
  await page.screenshot({ path: `${artifacts}/draft-carried-zh.png`, fullPage: true });
  await page.reload();
  assert.equal(await page.inputValue('textarea[name=body]'), '', 'a later reload does not fill it in again');
  assert.ok(!(await page.isVisible('[data-testid=draft-carried]')));
  await Promise.all([page.waitForURL(caseUrl), page.click('[data-testid=lang-switch]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.ok(!(await page.isVisible('[data-testid=draft-carried]')), 'an untouched form is not carried');
});

test('… and a refused reply\'s text, from its error page back to the composer', async () => {
  const caseUrl = page.url();
  await page.goto(`${base}/post?id=${postId}`);
  const queued = await page.locator('[data-testid=outbox] tr').count();
  const text = 'Too long for any platform. '.repeat(340);   // over 9,000 characters
  await page.fill('textarea[name=body]', text);
  await page.click('[data-testid=send-reply]');
  await page.waitForSelector('[data-testid=error-message]');
  await Promise.all([page.waitForURL(`${base}/post?id=${postId}`), page.click('[data-testid=lang-switch]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.inputValue('textarea[name=body]'), text, 'the composer holds the text');
  assert.ok(await page.isVisible('[data-testid=draft-carried]'), '… saying so');
  assert.equal(await page.locator('[data-testid=outbox] tr').count(), queued, '… and nothing was sent');
  await page.goto(`${base}/dashboard`);
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('[data-testid=lang-switch]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.goto(caseUrl);
});

test('a reply sent after the session ended is filled in again after signing in, and not sent', async () => {
  const caseUrl = page.url();
  await page.goto(`${base}/post?id=${postId}`);
  const queued = await page.locator('[data-testid=outbox] tr').count();
  const text = 'Typed before the session ended:\n退款 is on its way 🙏';
  await page.fill('textarea[name=body]', text);
  const other = await page.context().newPage();   // signing out in another tab
  await other.goto(`${base}/dashboard`);
  await Promise.all([other.waitForURL(/\/login/), other.click('button >> text=Sign out')]);
  await other.close();
  await Promise.all([page.waitForURL(/\/login\?why=signed_out&next=.*&unsent=1$/), page.click('[data-testid=send-reply]')]);
  assert.ok(await page.isVisible('[data-testid=draft-kept]'), 'sign-in says the text is kept');
  await page.fill('input[name=username]', process.env.AGENT_USER);
  await page.fill('input[name=password]', process.env.BROWSER_PASSWORD);
  await Promise.all([page.waitForURL(`${base}/post?id=${postId}`), page.click('button[type=submit] >> text=Sign in')]);
  assert.equal(await page.inputValue('textarea[name=body]'), text, 'the reply is filled in again');
  assert.ok(await page.isVisible('[data-testid=draft-restored]'), '… saying so');
  assert.equal(await page.locator('[data-testid=outbox] tr').count(), queued, '… and nothing was sent');
  await page.screenshot({ path: `${artifacts}/draft-restored.png`, fullPage: true });
  await page.goto(`${base}/post?id=${postId}`);
  assert.equal(await page.inputValue('textarea[name=body]'), '', 'filled in once only');
  assert.ok(!(await page.isVisible('[data-testid=draft-restored]')));
  await page.goto(caseUrl);
});

test('… but never for someone else signing in on the same tab, nor later', async () => {
  const caseUrl = page.url();
  await page.goto(`${base}/post?id=${postId}`);
  await page.fill('textarea[name=body]', 'Not for the next person');
  const other = await page.context().newPage();
  await other.goto(`${base}/dashboard`);
  await Promise.all([other.waitForURL(/\/login/), other.click('form[action="/logout"] button')]);
  await other.close();
  await Promise.all([page.waitForURL(/\/login\?why=signed_out&next=.*&unsent=1$/), page.click('[data-testid=send-reply]')]);
  await page.fill('input[name=username]', process.env.BROWSER_USER);
  await page.fill('input[name=password]', process.env.BROWSER_PASSWORD);
  await Promise.all([page.waitForURL(`${base}/post?id=${postId}`), page.click('form[action="/login"] button[type=submit]')]);
  assert.ok(!(await page.isVisible('[data-testid=draft-restored]')), 'another person gets no one else\'s text');
  const box = page.locator('textarea[name=body]');
  if (await box.count()) assert.equal(await box.inputValue(), '');
  await Promise.all([page.waitForURL(/\/login/), page.click('form[action="/logout"] button')]);
  await signIn(page, process.env.AGENT_USER, process.env.BROWSER_PASSWORD);
  await page.goto(`${base}/post?id=${postId}`);
  assert.equal(await page.inputValue('textarea[name=body]'), '', '… and its writer no longer gets it back either');
  await page.goto(caseUrl);
});

test('a reply starts from a canned suggestion and is queued for the platform', async () => {
  const caseUrl = page.url();
  await page.goto(`${base}/post?id=${postId}`);
  const queued = await page.locator('[data-testid=outbox] tr').count();
  const suggestion = page.locator('[data-testid=use-canned]').first();
  if (await suggestion.count()) {
    await suggestion.click();
    assert.notEqual((await page.inputValue('textarea[name=body]')).trim(), '');
  } else {
    await page.fill('textarea[name=body]', 'Sorry about that, we are on it.');
  }
  await Promise.all([page.waitForURL(`${base}/post?id=${postId}`), page.click('[data-testid=send-reply]')]);
  assert.equal(await page.locator('[data-testid=outbox] tr').count(), queued + 1, 'one more reply listed');
  assert.match(await page.textContent('[data-testid=notice]'), /^Reply queued: it is sent in the background/);
  await page.goto(caseUrl);
});

test('resolving the case', async () => {
  if (await page.locator('[data-testid=to-open]').count())
    await Promise.all([page.waitForURL(/\/case\?id=\d+$/), page.click('[data-testid=to-open]')]);
  await Promise.all([page.waitForURL(/\/case\?id=\d+$/), page.click('[data-testid=to-resolved]')]);
  assert.equal((await page.textContent('[data-testid=case-state]')).trim(), 'resolved');
  await page.screenshot({ path: `${artifacts}/case-resolved-en.png`, fullPage: true });
});
