// Content and blocklists in the browser (issue #20), against `mxlens serve`
// and the test DNS server holding stand-ins of Spamhaus DBL, ZEN, URIBL and
// DNSWL with their real return codes (tests/fixtures/zones/).
// 1. an image-only newsletter with a bit.ly link: the image-only and
//    shortener findings, and the Content section's link table;
// 2. a newsletter linking to phish.example (on the test DBL as phishing)
//    and bouncing to spam.example: the listings in the Content section
//    and the dnsbl.domain-listed check; only host names were posted.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const IMAGE_ONLY = `Return-Path: <bounce@news.shop.test>
From: Shop <news@shop.test>
To: a@example.net
Subject: zq8-content-subject
Date: Fri, 4 Dec 2026 10:00:00 +0000
Message-ID: <c1@shop.test>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><a href="https://bit.ly/3xYzSale"><img src="https://img.shop.test/banner.png" width="600" height="900"></a></body></html>
`;

const LISTED = `Return-Path: <bounce@spam.example>
Received: from mail.shop.test (mail.shop.test [192.0.2.2]) by mx.example.net with ESMTPS id 1; Fri, 4 Dec 2026 10:00:00 +0000
From: Shop <news@shop.test>
To: a@example.net
Subject: zq8-listed-subject
Date: Fri, 4 Dec 2026 10:00:00 +0000
Message-ID: <c2@shop.test>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<p>Our sale starts now. <a href="https://phish.example/login">Sign in to your account</a> and see what is new.
Plenty of words here so the body is not image-only. Unsubscribe at https://shop.test/u/1</p>
`;

const browser = await launch();
try {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 390, height: 844 }]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const sent = [];
    page.on('request', (r) => sent.push({ method: r.method(), url: r.url(), body: r.postData() || '' }));
    await page.goto(BASE_URL + '/');
    const textarea = page.getByLabel('Raw headers or message');
    await textarea.waitFor({ timeout: 15000 });
    const content = page.getByRole('region', { name: 'Content' });

    // 1. Image-only, with a shortener.
    await textarea.fill(IMAGE_ONLY);
    await page.getByRole('button', { name: 'Analyze' }).click();
    await content.waitFor({ timeout: 10000 });
    for (const [title, why] of [['Text-to-image ratio', 'image-only'], ['URL shorteners', 'shortener']]) {
      const check = page.locator('.check', { has: page.locator('.check-title', { hasText: title }) }).first();
      await check.waitFor({ timeout: 10000 });
      const badge = (await check.locator('.badge').first().getAttribute('class')) || '';
      assert(/s-(fail|warn)/.test(badge), `${name}: ${why}: "${title}" is a problem (${badge}): ${await check.textContent()}`);
    }
    const links = content.getByRole('table', { name: 'Links' });
    await links.waitFor({ timeout: 10000 });
    const linkText = await links.textContent();
    assert(linkText.includes('bit.ly') && linkText.includes('URL shortener'), `${name}: link table: ${linkText}`);
    assert((await content.textContent()).includes('HTML only'), `${name}: the facts say HTML only`);

    // 2. Listed link and Return-Path domains.
    await textarea.fill(LISTED);
    await page.getByRole('button', { name: 'Analyze' }).click();
    const blocklists = content.getByRole('table', { name: 'Blocklists' });
    await blocklists.waitFor({ timeout: 15000 });
    const linkRow = content.getByRole('table', { name: 'Links' }).locator('tr', { hasText: 'phish.example' });
    assert(/on Spamhaus DBL/.test(await linkRow.textContent()), `${name}: the link row says where it is listed: ${await linkRow.textContent()}`);
    const phish = blocklists.locator('tr', { hasText: 'phish.example' }).filter({ hasText: 'Spamhaus DBL' });
    assert(await phish.count() === 1, `${name}: a DBL row for phish.example: ${await blocklists.textContent()}`);
    const phishText = await phish.textContent();
    assert(/listed/.test(phishText) && /phish/i.test(phishText), `${name}: phish.example listed as phishing: ${phishText}`);
    assert(await phish.getByRole('link', { name: 'Request removal' }).count() === 1, `${name}: a delisting link`);
    const spam = blocklists.locator('tr', { hasText: 'spam.example' }).filter({ hasText: 'Spamhaus DBL' });
    assert(/Return-Path/.test(await spam.textContent()), `${name}: spam.example is the Return-Path domain: ${await spam.textContent()}`);
    const listedCheck = page.locator('.check[data-check-id="dnsbl.domain-listed"]').first();
    await listedCheck.waitFor({ timeout: 5000 });
    assert(/s-fail|s-warn/.test((await listedCheck.locator('.badge').first().getAttribute('class')) || ''), `${name}: dnsbl.domain-listed is a problem`);
    await page.screenshot({ path: `${SCREENSHOTS}/content-blocklists-${name}.png`, fullPage: true });
    await content.screenshot({ path: `${SCREENSHOTS}/content-section-${name}.png` });

    // Only host names left the browser: never a subject, a local part or the body.
    const posts = sent.filter((r) => r.method === 'POST');
    assert(posts.length >= 2 && posts.every((r) => r.url.endsWith('/api/reputation')), `${name}: posts: ${JSON.stringify(posts.map((r) => r.url))}`);
    for (const r of posts) {
      for (const secret of ['zq8-', 'news@', 'bounce@', 'Sign in', '<p>']) {
        assert(!r.body.includes(secret), `${name}: the lookup carried ${secret}: ${r.body}`);
      }
    }
    assert(errors.length === 0, `${name}: page errors: ${errors.join('; ')}`);
    await context.close();
  }
  console.log('content: image-only and shortener findings, link table, DBL listings with delisting links; only host names posted');
} finally {
  await browser.close();
}
