// The web code-search panel in a real browser (Debian's Chromium through playwright-core): sign in on
// /ui/code-search, search as a coder types, pick with the keyboard, see the code's detail, errors as
// text, no serious accessibility violations (axe), and nothing refused by the page's CSP.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && fs.existsSync(p),
);
const skip = CHROMIUM
  ? false
  : 'Chromium not found at /usr/bin/chromium (apt-get install chromium): browser test skipped';
if (skip) process.stdout.write(`# SKIPPED: ${skip}\n`);

const PASSWORD = 'lantern orchard pebble 93';
const LOAD = 180_000; // the first search loads the code sets

let s: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const searches: string[] = [];

describe('the code-search panel in a browser', { skip }, () => {
  before(async () => {
    s = await startTestServer({ label: 'web-panel' });
    const r = await s.request(
      'POST',
      `${s.url}/admin/users`,
      { username: 'coder1', password: PASSWORD, roles: ['coder'] },
      { 'content-type': 'application/json' },
    );
    assert.equal(r.status, 201, r.text);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      // (a 401 is expected while signed out: the page asks GET /auth/session, the browser asks for a favicon)
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (req) => {
      if (req.url().includes('/terminology/search')) searches.push(req.url());
    });
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
  });

  const option = (i: number) => page.locator('chartroom-code-search [role=option]').nth(i);
  const combobox = () => page.locator('chartroom-code-search [role=combobox]');

  test('signing in with the keyboard alone through the form shows the panel, focused', async () => {
    await page.goto(`${s.url}/ui/code-search`);
    await page.locator('#username:focus').waitFor(); // the form takes the focus
    await page.keyboard.type('coder1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.locator('#who-name').getByText('Signed in as coder1.').waitFor();
    assert.equal(await combobox().evaluate((e) => e === (e.getRootNode() as ShadowRoot).activeElement), true);
    assert.equal(await combobox().getAttribute('aria-expanded'), 'false');
  });

  test('"dm2 ckd" lists E11.22 first, billable, with the Alphabetic Index path; one request for the typing', async () => {
    searches.length = 0;
    await page.keyboard.type('dm2 ckd');
    await option(0).waitFor({ timeout: LOAD });
    const first = await option(0).textContent();
    assert.match(first ?? '', /^E11\.22/);
    assert.match(first ?? '', /Billable/);
    assert.doesNotMatch(first ?? '', /not billable/);
    assert.match(first ?? '', /Index: .+ > .+/, 'the index path that led to the code');
    assert.equal(await combobox().getAttribute('aria-expanded'), 'true');
    const listId = await page.locator('chartroom-code-search [role=listbox]').getAttribute('id');
    assert.equal(await combobox().getAttribute('aria-controls'), listId);
    const status = page.locator('chartroom-code-search [role=status]');
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    assert.match((await status.textContent()) ?? '', /\d+ codes? found/);
    assert.equal(searches.length, 1, `debounced: ${searches.join(', ')}`);
    assert.match(searches[0], /q=dm2\+ckd/);
  });

  test('ArrowDown moves the active option, Enter picks it: code-selected fires and the detail shows notes', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { picked: unknown[] };
      w.picked = [];
      document.addEventListener('code-selected', (e) => w.picked.push((e as CustomEvent).detail));
    });
    await page.keyboard.press('ArrowDown');
    const firstId = await option(0).getAttribute('id');
    assert.equal(await combobox().getAttribute('aria-activedescendant'), firstId);
    assert.equal(await option(0).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowDown');
    assert.equal(await option(1).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowUp');
    assert.equal(await option(0).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Enter');
    const picked = await page.evaluate(() => (window as unknown as { picked: unknown[] }).picked);
    assert.deepEqual(picked, [
      {
        system: 'icd10cm',
        code: 'E11.22',
        display: 'Type 2 diabetes mellitus with diabetic chronic kidney disease',
      },
    ]);
    assert.equal(await combobox().getAttribute('aria-expanded'), 'false');
    assert.equal(await combobox().inputValue(), 'E11.22');
    const notes = page.locator('chartroom-code-search .notes li');
    await notes.first().waitFor();
    const text = (await page.locator('chartroom-code-search .detail').textContent()) ?? '';
    assert.match(text, /Hierarchy/);
    assert.match(text, /E11/);
    assert.match(text, /Instructional notes/);
    assert.match(text, /E08/, 'the Excludes1 note E11 passes down');
    assert.ok((await notes.count()) > 1);
  });

  test('a code prefix "I10" finds I10; Escape closes the list, a second Escape clears the field', async () => {
    await page.keyboard.press('Escape'); // list closed: clears the field
    assert.equal(await combobox().inputValue(), '');
    await page.keyboard.type('I10');
    await option(0).getByText('I10', { exact: true }).waitFor();
    assert.match((await option(0).textContent()) ?? '', /Essential \(primary\) hypertension/);
    await page.keyboard.press('Escape');
    assert.equal(await combobox().getAttribute('aria-expanded'), 'false');
    assert.equal(await combobox().inputValue(), 'I10');
  });

  test('the system selector and "billable only" are reachable by keyboard and change the search', async () => {
    await page.keyboard.press('Tab'); // to the code-set selector
    const focused = () =>
      page.evaluate(() => {
        const host = document.querySelector('chartroom-code-search');
        return host?.shadowRoot?.activeElement?.id ?? '';
      });
    assert.match(await focused(), /-system$/);
    await page.keyboard.press('Tab');
    assert.match(await focused(), /-billable$/);
    const refreshed = page.waitForResponse((r) => r.url().includes('billableOnly=true'));
    await page.keyboard.press('Space');
    assert.equal((await refreshed).status(), 200);
    assert.equal(await page.locator('chartroom-code-search').getAttribute('billable-only'), '');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('ArrowDown');
    assert.equal(await option(0).getAttribute('aria-selected'), 'true');
    for (const text of await page.locator('chartroom-code-search [role=option]').allInnerTexts())
      assert.doesNotMatch(text, /not billable/);
  });

  test('focus is visible and the styles apply under the strict CSP, with no CSP or script errors', async () => {
    const outline = await combobox().evaluate((e) => getComputedStyle(e).outlineStyle);
    assert.equal(outline, 'solid');
    assert.deepEqual(problems, []);
  });

  test('axe finds no serious or critical violations, with the list open and the detail shown', async () => {
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      [],
    );
  });

  test('at 200 % zoom (half the width) nothing needs horizontal scrolling', async () => {
    await page.setViewportSize({ width: 640, height: 450 });
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    assert.ok(scroll <= client, `${scroll} > ${client}`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('a 5xx answer is shown as text, and the next good answer clears it', async () => {
    await page.route('**/terminology/search?*', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }),
    );
    await combobox().fill('');
    await combobox().focus();
    await page.keyboard.type('gout');
    const alert = page.locator('chartroom-code-search .error[role=alert]');
    await alert.getByText(/server could not answer \(HTTP 503\)/).waitFor();
    await page.unroute('**/terminology/search?*');
    await page.keyboard.type(' acute');
    await option(0).waitFor();
    assert.equal(await alert.textContent(), '');
  });

  test('a request refused with 401 (session gone) shows a message, not a blank panel', async () => {
    await context.clearCookies();
    await combobox().fill('');
    await combobox().focus();
    await page.keyboard.type('asthma');
    const alert = page.locator('chartroom-code-search .error[role=alert]');
    await alert.getByText(/not signed in/).waitFor();
    assert.equal(await combobox().getAttribute('aria-expanded'), 'false');
  });
});
