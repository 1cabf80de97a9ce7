// Private links, in a real browser:
// 1. paste headers, Analyze, Share -> "Create private link": the link is
//    /#p=1.<data>, and making it sent nothing to the server;
// 2. open it in a fresh context (360 px): the same report appears, made in
//    WASM; no request carried the input and no POST was made;
// 3. with "Hide the local parts", the linked input is redacted;
// 4. a damaged or unknown-version link says so inline.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const MARKER = 'zq7-private-subject';
const HEADERS = `Received: from mail.shop.test (mail.shop.test [198.51.100.7])
\tby mx.example.net with ESMTPS id abc123; Tue, 1 Jul 2025 10:00:05 +0000
Received: from app1 (app1 [10.0.0.5]) by mail.shop.test with ESMTPSA id 42; Tue, 1 Jul 2025 10:00:02 +0000
From: Jane Buyer <jane.buyer@shop.test>
To: bob@example.net
Subject: Your order ${MARKER}
Date: Tue, 1 Jul 2025 10:00:00 +0000
Message-ID: <order-1@shop.test>
`;

function recordRequests(page) {
  const seen = [];
  page.on('request', (r) => seen.push({ method: r.method(), url: r.url(), body: r.postData() || '' }));
  return seen;
}

async function makeLink(page, { redact }) {
  await page.getByRole('button', { name: 'Share' }).click();
  const panel = page.locator('.share-panel');
  await panel.waitFor();
  assert((await panel.textContent()).includes('Stored link: kept on the server for 30 days, anyone with the link can see it'), 'stored link explained');
  assert((await panel.textContent()).includes('Private link: the message stays in the link; the server never sees it'), 'private link explained');
  if (redact) await page.getByLabel('Hide the local parts of e-mail addresses').check();
  await page.getByRole('button', { name: 'Create private link' }).click();
  const link = page.getByLabel('Private link', { exact: true });
  await link.waitFor({ timeout: 10000 });
  return link.inputValue();
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(BASE_URL + '/');
  const maker = recordRequests(page);
  await page.getByLabel('Raw headers or message').fill(HEADERS);
  await page.getByRole('button', { name: 'Analyze' }).click();
  await page.locator('.from-address').waitFor({ timeout: 10000 });
  const hopsHere = (await page.locator('.hop-count').textContent()).trim();
  const url = await makeLink(page, { redact: false });
  assert(url.startsWith(BASE_URL + '/#p=1.'), `private link shape: ${url}`);
  assert(!url.includes(MARKER) && !url.includes('jane.buyer'), 'the link is compressed, not plain text');
  // Analysing the paste posts its host names for the blocklist lookups
  // (#20), never the paste: no subject, no local part. Making the link
  // itself posts nothing.
  assert(maker.every((r) => r.method === 'GET' || r.url.endsWith('/api/reputation')), `making a private link sent: ${JSON.stringify(maker)}`);
  assert(maker.every((r) => !r.body.includes(MARKER) && !r.body.includes('jane.buyer')), `the paste was posted: ${JSON.stringify(maker)}`);
  await page.screenshot({ path: `${SCREENSHOTS}/private-share-desktop.png`, fullPage: true });

  // A fresh browser: the report is recomputed from the fragment, in WASM.
  const fresh = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const other = await fresh.newPage();
  const otherErrors = watchErrors(other);
  const requests = recordRequests(other);
  await other.goto(url);
  await other.locator('.private-note').waitFor({ timeout: 15000 });
  assert((await other.locator('.from-address').textContent()).trim() === 'jane.buyer@shop.test', 'same From');
  assert((await other.locator('.hop-count').textContent()).trim() === hopsHere, 'same hop count');
  assert((await other.getByLabel('Raw headers or message').inputValue()).includes(MARKER), 'the input is back in the form');
  const leaked = requests.filter((r) => r.url.includes(MARKER) || r.body.includes(MARKER) || r.url.includes('#') || r.url.includes('p=1.'));
  assert(leaked.length === 0, `the input reached the server: ${JSON.stringify(leaked)}`);
  assert(requests.every((r) => r.method === 'GET'), `requests while opening: ${JSON.stringify(requests.map((r) => r.method + ' ' + r.url))}`);
  assert(!requests.some((r) => r.url.includes('/api/')), `API calls while opening: ${JSON.stringify(requests.map((r) => r.url))}`);
  await other.screenshot({ path: `${SCREENSHOTS}/private-open-mobile.png`, fullPage: true });

  // Redaction applies to private links too.
  await page.getByRole('button', { name: 'Share' }).click(); // close
  const redactedUrl = await makeLink(page, { redact: true });
  const third = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
  const thirdErrors = watchErrors(third);
  await third.goto(redactedUrl);
  await third.locator('.private-note').waitFor({ timeout: 15000 });
  const redactedFrom = (await third.locator('.from-address').textContent()).trim();
  assert(redactedFrom === 'redacted@shop.test', `redacted From: ${redactedFrom}`);
  assert(!(await third.getByLabel('Raw headers or message').inputValue()).includes('jane.buyer'), 'local part still in the linked input');

  // Damaged and unknown-version links say so inline.
  // (Changing only the fragment reloads the app, as pasting a link into the
  // address bar of an open tab would.)
  for (const [fragment, want] of [['#p=1.AAAA', 'damaged'], ['#p=1.@@@', 'damaged'], ['#p=9.abc', 'different version']]) {
    await third.goto(BASE_URL + '/' + fragment);
    await third.waitForFunction((w) => (document.querySelector('[role=alert]')?.textContent || '').includes(w), want, { timeout: 10000 });
    const text = await third.getByRole('alert').textContent();
    assert(text.includes('This private link cannot be opened') && text.includes(want), `${fragment}: ${text}`);
  }
  await third.screenshot({ path: `${SCREENSHOTS}/private-damaged-mobile.png`, fullPage: true });
  await third.evaluate((hash) => { window.location.hash = hash; }, new URL(url).hash);
  await third.locator('.private-note').waitFor({ timeout: 10000 });
  assert((await third.locator('.from-address').textContent()).trim() === 'jane.buyer@shop.test', 'a fragment pasted into an open tab opens');

  const all = [...errors, ...otherErrors, ...thirdErrors];
  assert(all.length === 0, `browser errors: ${all.join('; ')}`);
  console.log(`private: link of ${url.length} chars reopened in a fresh context with the same From and ${hopsHere} hop(s), ${requests.length} GET requests and none carried the input; redacted link shows ${redactedFrom}; damaged links explained`);
} finally {
  await browser.close();
}
