// Stored share link round trip in a real browser, plus a hostile paste:
// 1. paste headers (with <script> and javascript: content), Analyze;
// 2. Share -> Create stored link; the server recomputes and stores it;
// 3. open the link in a fresh browser context: the same report renders,
//    with its version and time; nothing from the input ran as HTML.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

// Which report store the server runs on (sqlite or postgres): names the screenshot.
const STORE = process.env.STORE ? `-${process.env.STORE}` : '';

const HOSTILE = `Received: from mail.shop.test (mail.shop.test [198.51.100.7])
\tby mx.example.net with ESMTPS id abc123; Tue, 1 Jul 2025 10:00:05 +0000
From: "<img src=x onerror=window.__xss=1>" <news@shop.test>
To: bob@example.net
Subject: <script>window.__xss=1</script> javascript:alert(1)
List-Unsubscribe: <javascript:window.__xss=1>
Date: Tue, 1 Jul 2025 10:00:00 +0000
Message-ID: <order-1@shop.test>
`;

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(BASE_URL + '/');
  await page.getByLabel('Raw headers or message').fill(HOSTILE);
  await page.getByRole('button', { name: 'Analyze' }).click();
  await page.locator('.from-address').waitFor();
  assert(await page.evaluate(() => window.__xss) === undefined, 'hostile header content executed');
  const html = await page.content();
  assert(!html.includes('<img src=x'), 'hostile markup was inserted as HTML');

  await page.getByRole('button', { name: 'Share' }).click();
  await page.getByRole('button', { name: 'Create stored link' }).click();
  const link = page.getByLabel('Share link');
  await link.waitFor({ timeout: 15000 });
  const url = await link.inputValue();
  assert(/\/r\/[0-9a-f]{32}$/.test(url), `stored link shape: ${url}`);
  const fromHere = (await page.locator('.from-address').textContent()).trim();
  const hopsHere = (await page.locator('.hop-count').textContent()).trim();

  const fresh = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const other = await fresh.newPage();
  const otherErrors = watchErrors(other);
  await other.goto(url);
  await other.locator('.stored-note').waitFor({ timeout: 15000 });
  const note = await other.locator('.stored-note').textContent();
  assert(/Stored report, made \d{4}-\d\d-\d\dT/.test(note) && note.includes('mxlens'), `stored note: ${note}`);
  assert((await other.locator('.from-address').first().textContent()).trim() === fromHere, 'same From in the stored report');
  assert((await other.locator('.hop-count').first().textContent()).trim() === hopsHere, 'same hop count');
  assert(await other.evaluate(() => window.__xss) === undefined, 'hostile content executed on the stored page');
  await other.getByRole('button', { name: 'Share' }).waitFor();
  await other.screenshot({ path: `${SCREENSHOTS}/share-stored-mobile${STORE}.png`, fullPage: true });

  // An unknown id says so inline.
  await other.goto(BASE_URL + '/r/00000000000000000000000000000000');
  await other.getByRole('alert').waitFor({ timeout: 15000 });
  const missing = await other.getByRole('alert').textContent();
  assert(missing.includes('No report with this link'), `unknown id message: ${missing}`);

  const allErrors = [...errors, ...otherErrors].filter((e) => !e.includes('404'));
  assert(allErrors.length === 0, `browser errors: ${allErrors.join('; ')}`);
  console.log(`share: stored link${STORE ? ` (${process.env.STORE})` : ''} ${url.replace(/^.*\/r\//, '/r/')} reopened in a fresh context with the same From and ${hopsHere} hop(s); hostile paste rendered as text`);
} finally {
  await browser.close();
}
