// DKIM verification in the browser (issue #15), against `mxlens serve` and
// the test DNS server holding the keys of tests/fixtures/dkim/ (made by
// dkimpy). The signatures are checked by the browser's WebCrypto; only
// d= and s= go to the server (GET /api/dkim-key), never the message.
// 1. a relaxed/relaxed rsa-sha256 2048 message: "verified";
// 2. an ed25519-sha256 message (RFC 8463): "verified";
// 3. the same kind of message with a mailing-list footer appended:
//    "failed: body changed", and the appended footer shown diff-style;
// 4. with the key lookup cut off (a private link opened offline): "not
//    verified", never a pass;
// 5. a key answer that comes after a newer analysis is dropped.
import { readFileSync } from 'node:fs';
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const fixture = (name) => readFileSync(`tests/fixtures/dkim/${name}.eml`, 'utf8');
const SIGNED = fixture('relaxed-2048');
const ED25519 = fixture('ed25519');
const FOOTER = fixture('footer-appended');

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  // Everything the page sends to the server.
  const sent = [];
  page.on('request', (r) => sent.push({ url: r.url(), body: r.postData() || '' }));
  await page.goto(BASE_URL + '/');
  const textarea = page.getByLabel('Raw headers or message');
  await textarea.waitFor({ timeout: 15000 });
  const panel = page.getByLabel('Signatures verified by mxlens');

  async function analyse(text) {
    await textarea.fill(text);
    await page.getByRole('button', { name: 'Analyze' }).click();
    await panel.waitFor({ timeout: 10000 });
  }

  // 1. Verified by WebCrypto with the key the test DNS server publishes.
  await analyse(SIGNED);
  await panel.locator('.badge.s-pass', { hasText: 'verified' }).waitFor({ timeout: 10000 });
  assert((await panel.textContent()).includes('d=dkim.test s=s2048'), 'rsa: the signature is named');
  const check = page.locator('.check', { hasText: 'd=dkim.test s=s2048' }).first();
  assert(await check.count() === 1, 'rsa: the dkim.verify check is listed');

  // 2. Ed25519.
  await analyse(ED25519);
  await panel.locator('li', { hasText: 'd=dkim.test s=ed' }).locator('.badge.s-pass', { hasText: 'verified' }).waitFor({ timeout: 10000 });

  // 3. A footer appended after signing: the body hash fails and the footer
  // is shown as added text.
  await analyse(FOOTER);
  await panel.locator('.badge.s-fail', { hasText: 'failed: body changed' }).waitFor({ timeout: 10000 });
  const added = await panel.locator('.diff-added').textContent();
  assert(added.includes('+ To unsubscribe send an email to team-leave@lists.dkim.test'), `footer: the appended text is shown: ${added}`);
  assert(!added.includes('Hello Bob'), `footer: only the added text is shown: ${added}`);
  await page.screenshot({ path: `${SCREENSHOTS}/dkim-footer-desktop.png`, fullPage: true });

  // Only key lookups went to the server, and no message text with them.
  const lookups = sent.filter((r) => r.url.includes('/api/dkim-key'));
  assert(lookups.length >= 3, `key lookups were made: ${JSON.stringify(lookups)}`);
  for (const r of sent) {
    assert(!r.url.includes('/api/analyze') && !r.url.includes('/api/reports'), `the message was sent: ${r.url}`);
    assert(!r.body.includes('quarterly figures') && !decodeURIComponent(r.url).includes('quarterly figures'), `message text left the browser: ${r.url}`);
  }
  for (const r of lookups) {
    assert(/\/api\/dkim-key\?domain=dkim\.test&selector=[a-z0-9]+$/.test(r.url), `a lookup carries d= and s= only: ${r.url}`);
  }
  assert(errors.length === 0, `errors: ${errors.join('\n')}`);
  await context.close();

  // 4. The server cannot be reached for keys: "not verified", not a pass.
  const offline = await browser.newContext();
  const page2 = await offline.newPage();
  await page2.route('**/api/dkim-key*', (route) => route.abort());
  await page2.goto(BASE_URL + '/');
  await page2.getByLabel('Raw headers or message').fill(SIGNED);
  await page2.getByRole('button', { name: 'Analyze' }).click();
  const panel2 = page2.getByLabel('Signatures verified by mxlens');
  await panel2.waitFor({ timeout: 10000 });
  // The verdict settles once the failed lookup is back.
  await page2.waitForFunction(() => document.querySelector('.own-verification')?.textContent.includes('could not be reached'), null, { timeout: 10000 });
  const text2 = await panel2.textContent();
  assert(await panel2.locator('.badge.s-not_tested', { hasText: 'not verified' }).count() === 1, `offline: not verified: ${text2}`);
  assert(await panel2.locator('.badge.s-pass').count() === 0, `offline: no pass: ${text2}`);
  await offline.close();

  // 5. A late key answer belongs to the analysis it was asked for: a newer
  // analysis (here an empty paste, an error) is never replaced by the
  // older message's verified report when that answer finally comes.
  const slow = await browser.newContext();
  const page3 = await slow.newPage();
  let answered = null;
  const late = new Promise((resolve) => { answered = resolve; });
  await page3.route('**/api/dkim-key*', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
    answered();
  });
  await page3.goto(BASE_URL + '/');
  const textarea3 = page3.getByLabel('Raw headers or message');
  await textarea3.fill(SIGNED);
  await page3.getByRole('button', { name: 'Analyze' }).click();
  // Shown without its verdict at the deadline, while the key is awaited.
  await page3.getByLabel('Signatures verified by mxlens').waitFor({ timeout: 10000 });
  await textarea3.fill('');
  await page3.getByRole('button', { name: 'Analyze' }).click();
  await page3.getByRole('alert').filter({ hasText: /input is empty/ }).waitFor({ timeout: 10000 });
  await late;
  await page3.waitForTimeout(500);
  assert(await page3.getByRole('alert').filter({ hasText: /input is empty/ }).count() === 1, 'late answer: the error stays');
  assert(await page3.locator('.own-verification').count() === 0, 'late answer: the older report did not come back');
  await slow.close();
  console.log('dkim: verified (rsa 2048, ed25519), failed: body changed with the footer shown, offline not verified; only d= and s= sent; a late key answer does not replace a newer result');
} finally {
  await browser.close();
}
