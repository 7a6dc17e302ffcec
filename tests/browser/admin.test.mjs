// An admin in headless Chromium: an SLA policy typed into the form, a line it
// cannot read and the way back to the form as typed, a team with a ticked member,
// a rule edit kept through sign-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, artifacts, openPage, signIn } from './browser.mjs';

let browser, page;

before(async () => {
  ({ browser, page } = await openPage());
  await signIn(page, process.env.ADMIN_USER, process.env.BROWSER_PASSWORD);
});
after(async () => { await browser?.close(); });

// The "New SLA policy" card's form.
// Types a new policy into the "New SLA policy" form (fields by name) and returns the form.
async function typeNewPolicy(fields) {
  const form = page.locator('section.card', { has: page.locator('h2', { hasText: 'New SLA policy' }) });
  for (const [name, value] of Object.entries({ first_response_minutes: '30', resolution_minutes: '240', ...fields }))
    await form.locator(`[name=${name}]`).fill(value);
  return form;
}

test('an admin types a policy\'s opening hours and holidays, and the page shows them back', async () => {
  await page.goto(`${base}/sla`);
  const form = await typeNewPolicy({ name: 'Browser weekend desk', tz: 'asia/shanghai',
                                     hours_text: '6-7 10:00-16:00\n1-5 18:00-22:00', holidays_text: '2026-10-01 National Day' });
  await Promise.all([page.waitForURL(`${base}/sla`), form.locator('button[type=submit]').click()]);
  const card = page.locator('section.card', { has: page.locator('h2', { hasText: 'Browser weekend desk' }) });
  assert.match(await card.locator('p').first().textContent(), /Asia\/Shanghai/);
  assert.equal(await card.locator('pre').first().textContent(), '1-5 18:00-22:00\n6-7 10:00-16:00');
  await page.screenshot({ path: `${artifacts}/sla.png`, fullPage: true });
});

test('a line it cannot read is refused naming it, with a way back to the form as it was typed', async () => {
  const form = await typeNewPolicy({ name: 'Browser bad hours', tz: 'UTC', hours_text: 'Mon-Fri 9-5' });
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('[data-testid=error-message]');
  assert.match(await page.textContent('[data-testid=error-message]'), /"Mon-Fri 9-5"/, 'the sentence names the line');
  assert.equal(await page.locator('[data-testid=error-detail]').count(), 0, 'whole, with nothing repeated under it');
  await Promise.all([page.waitForURL(`${base}/sla`), page.click('[data-testid=error-back]')]);
  // back in the browser's history (static/back.js), not the page loaded afresh: the text is still there to fix
  assert.equal(await form.locator('[name=hours_text]').inputValue(), 'Mon-Fri 9-5');
  assert.equal(await form.locator('[name=name]').inputValue(), 'Browser bad hours');
});

test('an admin creates a team with a ticked member', async () => {
  await page.goto(`${base}/teams`);
  const form = page.locator('section.card', { has: page.locator('h2', { hasText: 'New team' }) });
  await form.locator('input[name=name]').fill('Browser night shift');
  await form.locator('label.check', { hasText: 'Browser Agent' }).locator('input').check();
  await Promise.all([page.waitForURL(`${base}/teams`), form.locator('button[type=submit]').click()]);
  const card = page.locator('section.card', { has: page.locator('h2', { hasText: 'Browser night shift' }) });
  assert.match(await card.locator('ul').first().textContent(), /Browser Agent/);
});

test('a rule edited when the session has ended is filled in again in its own form, ticks too', async () => {
  await page.goto(`${base}/rules`);
  const cards = page.locator('section.rule');
  for (const name of ['Browser rule one', 'Browser rule two']) {   // (two rules at least: the form is not the first)
    if (await cards.count() >= 2) break;
    const blank = page.locator('section.card:not(.rule)', { has: page.locator('form[action="/rules/save"]') });
    await blank.locator('[name=name]').fill(name);
    await blank.locator('[name=expression]').fill('lumen AND latte');
    await Promise.all([page.waitForURL(`${base}/rules`), blank.locator('button[type=submit]').click()]);
  }
  assert.ok(await cards.count() >= 2, 'the stack has rules to edit');
  const first = cards.first().locator('form[action="/rules/save"]');
  const firstExpression = await first.locator('[name=expression]').inputValue();
  const card = cards.last();
  await card.locator('details:has(form[action="/rules/save"]) > summary').click();
  const form = card.locator('form[action="/rules/save"]');
  await form.locator('[name=expression]').fill('lumen AND "kept through sign-in"');
  const enabled = form.locator('input[type=checkbox][name=enabled]');
  const wasEnabled = await enabled.isChecked();
  await enabled.setChecked(!wasEnabled);
  const other = await page.context().newPage();   // signing out in another tab
  await other.goto(`${base}/dashboard`);
  await Promise.all([other.waitForURL(/\/login/), other.click('form[action="/logout"] button')]);
  await other.close();
  await Promise.all([page.waitForURL(/\/login\?.*&unsent=1$/), form.locator('button[type=submit]').click()]);
  await page.fill('input[name=username]', process.env.ADMIN_USER);
  await page.fill('input[name=password]', process.env.BROWSER_PASSWORD);
  await Promise.all([page.waitForURL(`${base}/rules`), page.click('form[action="/login"] button[type=submit]')]);
  assert.ok(await form.isVisible(), 'its edit form is open');
  assert.equal(await form.locator('[name=expression]').inputValue(), 'lumen AND "kept through sign-in"');
  assert.equal(await enabled.isChecked(), !wasEnabled, '… with its tick as it was left');
  assert.equal(await first.locator('[name=expression]').inputValue(), firstExpression, 'the first rule\'s form is untouched');
});

test('deleting a rule takes two steps, by keyboard too, and the page then says it was deleted', async () => {
  await page.goto(`${base}/rules`);
  const card = page.locator('section.rule').last();
  const name = (await card.locator('h2').textContent()).trim();
  const confirm = card.locator('details.confirm-delete');
  const button = confirm.locator('button[type=submit]');
  assert.equal(await button.isVisible(), false, 'no Delete button before the first step');
  await confirm.locator('summary').focus();
  await page.keyboard.press('Enter');
  assert.match(await confirm.locator('[data-testid=delete-question]').textContent(), /Delete this listening rule\?/);
  assert.ok(await button.isVisible(), 'the step opens the button that deletes');
  await confirm.screenshot({ path: `${artifacts}/delete-confirm-en.png` });
  const rules = await page.locator('section.rule').count();
  await Promise.all([page.waitForURL(`${base}/rules`), button.click()]);
  assert.equal((await page.textContent('[data-testid=notice]')).trim(), 'Deleted.');
  assert.equal(await page.locator('[role=status][data-testid=notice]').count(), 1, 'a status the screen reader says');
  await page.screenshot({ path: `${artifacts}/notice-deleted-en.png` });
  assert.equal(await page.locator('section.rule').count(), rules - 1, `the rule ${name} is gone`);
  await page.reload();
  assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'the notice is shown once');
});
