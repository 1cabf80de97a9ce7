// The mailbox probe from the "Address" field, in a real browser, desktop
// and mobile (360×740), driven by accessible names.
// MODE=limited (one probe per client per minute): the server's 429 shows
//   inline under the field, in words.
// MODE=disabled (a server without --enable-rcpt-probe):
//   1. an address at another domain is refused inline before any request;
//   2. the server's 403 shows inline under the field, in words.
// MODE=enabled (the server probes a real Postfix on loopback):
//   1. a known user: "The mailbox exists", 250, the catch-all test refused;
//   2. an unknown user: 550 5.1.1 explained, "No such mailbox", fail;
//   3. (desktop) a catch-all domain, and a greylisted first attempt with
//      the "retry after" hint;
//   4. the Transport security section ends in its verdict; the Share dialog
//      offers to include the probed address, off by default.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const MODE = process.env.MODE || 'enabled';

async function audit(page, domain, address) {
  await page.getByLabel('Domain', { exact: true }).fill(domain);
  await page.getByLabel('Address', { exact: true }).fill(address);
  await page.getByRole('button', { name: 'Audit', exact: true }).click();
}

// The probe block of the finished report for `address`.
async function probe(page, address) {
  const block = page.locator('section.report').getByRole('region', { name: `Mailbox probe: ${address}` });
  await block.waitFor({ timeout: 40000 });
  return block;
}

// Every badge in `scope` has an icon (aria-hidden) and a word.
async function assertIconAndWord(scope, where) {
  const bad = await scope.locator('.badge').evaluateAll((els) => els.filter((el) => {
    const icon = el.querySelector('[aria-hidden="true"]');
    const word = el.textContent.replace(icon ? icon.textContent : '', '').trim();
    return !icon || !icon.textContent.trim() || !word;
  }).map((el) => el.outerHTML));
  assert(bad.length === 0, `${where}: badges without icon and word: ${bad.join(' ')}`);
}

const browser = await launch();
try {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchErrors(page);
    // The 403 answer is a deliberate refusal shown in the page, not an error.
    const expected403 = [];
    page.on('response', (r) => { if (r.status() === 403) expected403.push(r.url()); });
    await page.goto(BASE_URL + '/');
    const field = page.getByLabel('Address', { exact: true });
    await field.waitFor({ timeout: 15000 });
    assert((await field.getAttribute('aria-describedby')).includes('rcpt-hint'), 'the field is described by its hint');
    const hint = await page.locator('#rcpt-hint').textContent();
    assert(hint.includes('optional') || hint.includes('Optional'), `hint: ${hint}`);
    assert(hint.includes('RCPT TO, nothing is sent'), `hint: ${hint}`);

    if (MODE === 'limited') {
      // A server that allows one probe per client per minute: the second
      // (or, in the second viewport, the first) gets 429, shown inline.
      const limited = page.getByRole('alert').filter({ hasText: 'Too many mailbox probes' });
      for (let attempt = 0; attempt < 2 && !(await limited.count()); attempt += 1) {
        await audit(page, 'shop.test', 'bob@shop.test');
        await limited.waitFor({ timeout: 5000 }).catch(() => {});
      }
      const text = await limited.textContent();
      assert(text.includes('address harvesting') && /[Tt]ry again in \d+ seconds?/.test(text), `429 in words: ${text}`);
      const others = errors.filter((e) => !(e.includes('429') && e.includes('console')));
      assert(others.length === 0, `browser errors: ${others.join('; ')}`);
      console.log(`rcpt limited ${label}: 429 shown inline: ${text.slice(0, 90)}…`);
      await context.close();
      continue;
    }

    if (MODE === 'disabled') {
      // 1. Inline validation, before any request.
      let posted = 0;
      page.on('request', (r) => { if (r.method() === 'POST') posted += 1; });
      await audit(page, 'shop.test', 'bob@elsewhere.test');
      const wrong = page.getByRole('alert').filter({ hasText: 'is not an address at the audited domain shop.test' });
      await wrong.waitFor({ timeout: 5000 });
      assert(posted === 0, 'an address at another domain is refused before any request');
      assert(await field.getAttribute('aria-invalid') === 'true', 'the field is marked invalid');
      await audit(page, 'shop.test', 'not-an-address');
      await page.getByRole('alert').filter({ hasText: '"not-an-address" is not an address at the audited domain' }).waitFor({ timeout: 5000 });

      // 2. The server's 403, inline and in words.
      await audit(page, 'shop.test', 'bob@shop.test');
      const refused = page.getByRole('alert').filter({ hasText: 'This server does not run the mailbox probe' });
      await refused.waitFor({ timeout: 10000 });
      const text = await refused.textContent();
      assert(text.includes('--enable-rcpt-probe'), `the server's reason is shown: ${text}`);
      assert(text.includes('Clear the Address field'), `says what to do: ${text}`);
      assert(await page.locator('section.report').count() === 0, 'no audit ran');
      assert(expected403.length === 1, `one 403: ${expected403}`);
      await page.screenshot({ path: `${SCREENSHOTS}/rcpt-disabled-${label}.png`, fullPage: true });
      // Chromium logs a failed fetch as a console error; only that one is expected.
      const others = errors.filter((e) => !(e.includes('403') && e.includes('console')));
      assert(others.length === 0, `browser errors: ${others.join('; ')}`);
      console.log(`rcpt disabled ${label}: inline validation, 403 shown inline: ${text.slice(0, 90)}…`);
      await context.close();
      continue;
    }

    // 1. A known user.
    await audit(page, 'shop.test', 'alice@shop.test');
    let block = await probe(page, 'alice@shop.test');
    let text = await block.textContent();
    for (const want of ['✔', 'pass', 'The mailbox exists', 'Reply to RCPT TO', '250', 'Catch-all test', 'was refused (550 5.1.1)', 'no DATA']) {
      assert(text.includes(want), `known user lacks ${want}: ${text}`);
    }
    assert(await block.getAttribute('data-verdict') === 'accepted', 'verdict accepted');
    const card = page.locator('section.report .area-card[data-area="mail-servers"]');
    await assertIconAndWord(card, `${label} mail-servers card`);

    // The transport section ends in its verdict (Postfix offers STARTTLS,
    // the domain has no MTA-STS policy).
    const transport = page.getByRole('region', { name: 'Transport security' });
    const transportText = await transport.textContent();
    assert(transportText.includes('mx1.shop.test (192.0.2.10)'), `transport MX row: ${transportText}`);
    assert(transportText.includes('MTA-STS mode: no valid policy'), `MTA-STS line: ${transportText}`);
    assert(/Verdict:\s*▲\s*opportunistic\s*Mail to this domain is encrypted in transit when the sender tries \(STARTTLS\)/.test(transportText), `transport verdict: ${transportText}`);

    // The Share dialog: include the address only on request, off by default.
    await page.locator('section.report').getByRole('button', { name: 'Share' }).click();
    const keep = page.getByRole('checkbox', { name: 'Include the probed address in the link (off by default: it shows as redacted@)' });
    await keep.waitFor({ timeout: 5000 });
    assert(!(await keep.isChecked()), 'the probed address is left out by default');
    await page.screenshot({ path: `${SCREENSHOTS}/rcpt-known-${label}.png`, fullPage: true });

    // 2. An unknown user.
    await audit(page, 'shop.test', 'bob@shop.test');
    block = await probe(page, 'bob@shop.test');
    text = await block.textContent();
    for (const want of ['✘', 'fail', 'No such mailbox: mail to this address bounces.', '550 5.1.1', 'User unknown', 'Basic code', '550: ', 'Enhanced code', '5.1.1: ', 'What to do', 'Not needed: the address itself was not accepted.']) {
      assert(text.includes(want), `unknown user lacks ${want}: ${text}`);
    }
    assert(await block.getAttribute('data-verdict') === 'unknown_user', 'verdict unknown_user');
    await block.screenshot({ path: `${SCREENSHOTS}/rcpt-unknown-${label}.png` });

    if (label === 'desktop') {
      // 3. A catch-all domain, then a greylisted first attempt.
      await audit(page, 'catchall.test', 'anyone@catchall.test');
      block = await probe(page, 'anyone@catchall.test');
      text = await block.textContent();
      assert(text.includes('(catch-all)') && text.includes('ℹ'), `catch-all: ${text}`);
      assert(await block.getAttribute('data-verdict') === 'catch_all', 'verdict catch_all');

      await audit(page, 'grey.test', 'alice@grey.test');
      block = await probe(page, 'alice@grey.test');
      text = await block.textContent();
      for (const want of ['▲', 'warn', 'Greylisting', '451', '4.7.1: ', 'Retry', 'Retry in 60 s, as the server asks (after ']) {
        assert(text.includes(want), `greylisted lacks ${want}: ${text}`);
      }
      await block.screenshot({ path: `${SCREENSHOTS}/rcpt-greylisted-${label}.png` });
    } else {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(overflow <= 360, `the page scrolls sideways at 360 px: ${overflow}`);
    }

    assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
    console.log(`rcpt enabled ${label}: known, unknown${label === 'desktop' ? ', catch-all, greylisted' : ''}; transport verdict shown; share keeps the address only on request`);
    await context.close();
  }
} finally {
  await browser.close();
}
