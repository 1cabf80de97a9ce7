// The first end-to-end slice, in a real browser against `mxlens serve`:
// 1. paste headers, click Analyze: From and hop count computed in WASM;
// 2. enter a domain, click Audit: MX hosts fetched through the backend from
//    the test DNS server.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const HEADERS = `Received: from mail.shop.test (mail.shop.test [198.51.100.7])
\tby mx.example.net with ESMTPS id abc123
\t(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384);
\tTue, 1 Jul 2025 10:00:05 +0000
Received: from [10.0.0.5] (helo=app1) by mail.shop.test with ESMTPSA id 42;
\tTue, 1 Jul 2025 10:00:02 +0000
Received: from localhost by app1 with SMTP; Tue, 1 Jul 2025 10:00:01 +0000
From: Shop Team <news@shop.test>
To: bob@example.net
Subject: Your order
Date: Tue, 1 Jul 2025 10:00:00 +0000
Message-ID: <order-1@shop.test>
`;

const browser = await launch();
try {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const t0 = Date.now();
    await page.goto(BASE_URL + '/');
    const textarea = page.getByLabel('Raw headers or message');
    await textarea.waitFor({ timeout: 15000 });
    const firstRender = Date.now() - t0;

    await textarea.fill(HEADERS);
    await page.getByRole('button', { name: 'Analyze' }).click();
    const from = page.locator('.from-address');
    await from.waitFor({ timeout: 10000 });
    assert((await from.textContent()).trim() === 'news@shop.test', `From shown: ${await from.textContent()}`);
    const hops = (await page.locator('.hop-count').textContent()).trim();
    assert(hops === '3', `hop count shown: ${hops}`);

    await page.getByLabel('Domain').fill('shop.test');
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    const mxRows = page.locator('tr.mx-host');
    await mxRows.first().waitFor({ timeout: 20000 });
    const rows = await mxRows.allTextContents();
    assert(rows.length === 2, `two MX rows, got ${JSON.stringify(rows)}`);
    assert(rows[0].includes('mx1.shop.test') && rows[0].includes('192.0.2.10'), `first MX row: ${rows[0]}`);
    assert(rows[1].includes('mx2.shop.test'), `second MX row: ${rows[1]}`);

    await page.screenshot({ path: `${SCREENSHOTS}/slice-${name}.png`, fullPage: true });
    assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
    console.log(`slice ${name}: first render ${firstRender} ms, From and ${hops} hops shown, MX rows: ${rows.join(' | ')}`);
    await context.close();
  }
} finally {
  await browser.close();
}
