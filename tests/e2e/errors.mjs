// Every error path of issue #7 "Errors" shows an inline, human message
// (role="alert"), never a dialog and never only the console; desktop and
// mobile (360×740):
// 1. invalid input: an empty paste, and a domain that is not one (the
//    server's 400 message);
// 2. a network failure: the audit request cannot reach the server (the
//    browser aborts it);
// 3. "Load an example" when the example file cannot be fetched;
// 4. an export that cannot be saved (the browser refuses the object URL),
//    said beside the export buttons;
// 5. an unknown report id /r/{bad};
// 6. the rate limit: the server runs with a low POST limit, and the
//    message says when to try again (from Retry-After);
// 7. the analysis engine cannot start: its WebAssembly (the Web Worker's,
//    frontend/src/worker.rs) cannot be fetched, and Analyze and "Explain
//    an SMTP error" say so instead of waiting forever.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const HEADERS = `Received: from mail.shop.test (mail.shop.test [198.51.100.7])
\tby mx.example.net with ESMTPS id abc123; Tue, 1 Jul 2025 10:00:05 +0000
From: Shop <news@shop.test>
To: bob@example.net
Subject: errors
Date: Tue, 1 Jul 2025 10:00:00 +0000
Message-ID: <errors-1@shop.test>
`;

// The alert inside `scope` whose text matches `pattern`, waited for.
async function alertText(scope, pattern, what) {
  const alert = scope.getByRole('alert').filter({ hasText: pattern });
  await alert.first().waitFor({ timeout: 10000 }).catch(() => {});
  const n = await alert.count();
  if (n === 0) {
    const all = await scope.getByRole('alert').allTextContents();
    throw new Error(`${what}: no alert matching ${pattern}; alerts: ${JSON.stringify(all)}`);
  }
  const text = (await alert.first().textContent()).trim();
  assert(await alert.first().isVisible(), `${what}: the alert is visible`);
  return text;
}

const browser = await launch();
const seen = [];
try {
  let dialogs = 0;
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
    const errors = watchErrors(page);
    await page.goto(BASE_URL + '/');
    const textarea = page.getByLabel('Raw headers or message');
    await textarea.waitFor({ timeout: 15000 });

    // 1. Invalid input.
    await page.getByRole('button', { name: 'Analyze' }).click();
    seen.push(await alertText(page, /input is empty/, `${name} empty paste`));
    const domain = page.getByLabel('Domain', { exact: true });
    await domain.fill('not a domain!');
    await page.getByRole('button', { name: 'Audit' }).click();
    const bad = await alertText(page, /not a domain|invalid|domain/i, `${name} invalid domain`);
    assert(!/HTTP \d{3}/.test(bad), `${name}: the invalid-domain message is the server's words, not a status code: ${bad}`);
    seen.push(bad);

    // 2. A network failure: the audit request is aborted by the browser.
    await page.route('**/api/audits', (route) => route.abort('connectionrefused'));
    await domain.fill('shop.test');
    await page.getByRole('button', { name: 'Audit' }).click();
    seen.push(await alertText(page, /could not be reached/, `${name} network failure`));
    await page.unroute('**/api/audits');

    // 3. The example file cannot be fetched.
    await page.route('**/*.eml', (route) => route.abort('connectionrefused'));
    await page.getByRole('link', { name: 'Load an example' }).click();
    seen.push(await alertText(page, /example could not be loaded/, `${name} example fetch`));
    await page.unroute('**/*.eml');
    await page.getByRole('link', { name: 'Load an example' }).click();
    await page.getByRole('alert').filter({ hasText: /example could not be loaded/ }).waitFor({ state: 'detached', timeout: 10000 });
    assert((await textarea.inputValue()).includes('List-Unsubscribe'), `${name}: the example loads once the file is reachable`);

    // 4. An export that cannot be saved: said beside the export buttons.
    await textarea.fill(HEADERS);
    await page.getByRole('button', { name: 'Analyze' }).click();
    const exportGroup = page.getByRole('group', { name: 'Export' }).first();
    await exportGroup.waitFor({ timeout: 10000 });
    await page.evaluate(() => { window.__realCreate = URL.createObjectURL; URL.createObjectURL = () => { throw new Error('blocked'); }; });
    await exportGroup.getByRole('button', { name: 'Export JSON' }).click();
    seen.push(await alertText(exportGroup, /could not be saved/, `${name} export JSON`));
    await page.screenshot({ path: `${SCREENSHOTS}/errors-export-${name}.png`, fullPage: false });
    await page.evaluate(() => { URL.createObjectURL = window.__realCreate; });
    const download = page.waitForEvent('download', { timeout: 10000 });
    await exportGroup.getByRole('button', { name: 'Export Markdown' }).click();
    await download;
    assert(await exportGroup.getByRole('alert').filter({ hasText: /could not be saved/ }).count() === 0, `${name}: a successful export clears the message`);

    // 5. An unknown report id.
    await page.goto(BASE_URL + '/r/ffffffffffffffffffffffffffffffff');
    seen.push(await alertText(page, /No report with this link/, `${name} unknown report id`));
    await page.screenshot({ path: `${SCREENSHOTS}/errors-unknown-report-${name}.png`, fullPage: true });

    const unexpected = errors.filter((e) => !/status of 40[04]|404|connectionrefused|ERR_CONNECTION_REFUSED|ERR_FAILED|net::ERR|could not be saved/.test(e));
    assert(unexpected.length === 0, `${name}: browser errors: ${unexpected.join('; ')}`);
    console.log(`errors ${name}: ${seen.length} inline messages so far`);
    await context.close();
  }

  // 6. The rate limit (the server allows a few POSTs per minute): invalid
  // audits are POSTs too, so submit until the server says 429.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
  await page.goto(BASE_URL + '/');
  const domain = page.getByLabel('Domain', { exact: true });
  await domain.waitFor({ timeout: 15000 });
  let limited = null;
  for (let i = 0; i < 10 && !limited; i++) {
    await domain.fill(`not a domain ${i}!`);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/audits'));
    await page.getByRole('button', { name: 'Audit' }).click();
    const response = await answer;
    if (response.status() === 429) {
      const retryAfter = response.headers()['retry-after'];
      assert(/^\d+$/.test(retryAfter || ''), `429 carries Retry-After: ${retryAfter}`);
      const text = await alertText(page, /Too many requests/, 'rate limit');
      assert(text.includes(`Try again in ${retryAfter} second`), `the message says when (Retry-After ${retryAfter}): ${text}`);
      limited = text;
    }
  }
  assert(limited, 'the server never answered 429');
  seen.push(limited);
  await page.screenshot({ path: `${SCREENSHOTS}/errors-rate-limit-desktop.png`, fullPage: false });
  await context.close();

  // 7. The engine worker's WebAssembly cannot be fetched.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    let blocked = 0;
    await context.route('**/engine_bg.wasm', (route) => { blocked += 1; return route.abort('connectionrefused'); });
    const page = await context.newPage();
    page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
    await page.goto(BASE_URL + '/');
    const textarea = page.getByLabel('Raw headers or message');
    await textarea.waitFor({ timeout: 15000 });
    await textarea.fill(HEADERS);
    await page.getByRole('button', { name: 'Analyze' }).click();
    const engine = await alertText(page, /analysis engine of this page could not be started/, 'engine unavailable');
    assert(/Reload the page/.test(engine), `the message says what to do: ${engine}`);
    assert(blocked >= 1, `the engine's WebAssembly was requested (${blocked})`);
    seen.push(engine);
    await page.getByLabel('SMTP error or bounce').fill('550 5.1.1 <bob@example.com>: User unknown');
    await page.getByRole('button', { name: 'Explain' }).click();
    await alertText(page.locator('.smtp-card'), /analysis engine of this page could not be started/, 'engine unavailable, explainer');
    await page.screenshot({ path: `${SCREENSHOTS}/errors-engine-desktop.png`, fullPage: false });
    await context.close();
  }
  assert(dialogs === 0, `${dialogs} dialog(s) opened: errors must be inline`);
  console.log(`errors: ${seen.length} inline messages, no dialogs: ${seen.map((s) => JSON.stringify(s.slice(0, 70))).join(' | ')}`);
} finally {
  await browser.close();
}
