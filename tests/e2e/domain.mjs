// The domain report in a real browser, against the loopback test DNS zones
// and a fake SMTP server (slow banner, STARTTLS, a test-CA certificate):
// 1. audit good.audit.test: the cards fill in while the audit runs (the SMTP
//    card waits for the slow banner), then the per-IP SMTP/TLS table shows
//    banner, STARTTLS, TLS version and the certificate;
// 2. audit toomany.audit.test: the SPF include tree shows each term's cost
//    and the running total, with the term that crosses 10 highlighted.
// Desktop and 360 px mobile; screenshots saved.
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

async function audit(page, domain) {
  await page.getByLabel('Domain').fill(domain);
  await page.getByRole('button', { name: 'Audit', exact: true }).click();
}

const browser = await launch();
try {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(BASE_URL + '/');
    await page.getByLabel('Domain').waitFor({ timeout: 15000 });

    // 1. Live progress, then the SMTP table.
    await audit(page, 'good.audit.test');
    const live = page.locator('section[aria-label="Audit in progress"]');
    await live.waitFor({ timeout: 10000 });
    await live.locator('.area-card[data-area="spf"] .check').first().waitFor({ timeout: 10000 });
    const waiting = await live.locator('.area-card[data-area="mail-servers"]').textContent().catch(() => '');
    const liveChecks = await live.locator('.check').count();
    assert(liveChecks > 0, 'checks streamed in before the report');
    if (label === 'desktop') await page.screenshot({ path: `${SCREENSHOTS}/domain-progress-${label}.png`, fullPage: true });

    const report = page.locator('section.report');
    const row = report.locator('table.smtp tr.smtp-ip');
    await row.first().waitFor({ timeout: 30000 });
    const rowText = await row.first().textContent();
    for (const want of ['mx1.good.audit.test', '192.0.2.10', '220 ', 'yes', 'TLSv1.3', 'CN=mx1.good.audit.test', 'mxlens test CA', 'days left', 'valid']) {
      assert(rowText.includes(want), `SMTP row lacks ${want}: ${rowText}`);
    }
    for (const area of ['mail-servers', 'spf', 'dmarc', 'dkim', 'mta-sts', 'tls-rpt', 'bimi', 'dnsbl']) {
      assert(await report.locator(`.area-card[data-area="${area}"]`).count() === 1, `card ${area}`);
    }
    // The DMARC tag table: every tag, its value or its default, its meaning.
    const tags = report.locator('.area-card[data-area="dmarc"]').getByRole('table', { name: 'DMARC tags' });
    await tags.waitFor();
    const tagRows = {};
    for (const r of await tags.locator('tbody tr').all()) {
      tagRows[(await r.getByRole('rowheader').textContent()).trim()] = (await r.textContent());
    }
    for (const tag of ['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'fo', 'rua', 'ruf', 'rf', 'ri', 'pct']) {
      assert(tag in tagRows, `DMARC tag row ${tag}: ${Object.keys(tagRows)}`);
    }
    assert(tagRows.p.includes('reject') && tagRows.p.includes('RFC 7489 §6.3'), `p row: ${tagRows.p}`);
    assert(tagRows.adkim.includes('s') && tagRows.adkim.includes('strict'), `adkim row: ${tagRows.adkim}`);
    assert(tagRows.sp.includes('not set: subdomains get p (reject)'), `sp row: ${tagRows.sp}`);
    assert(tagRows.pct.includes('not set: 100') && tagRows.pct.includes('Removed by RFC 9989'), `pct row: ${tagRows.pct}`);
    assert(tagRows.rua.includes('mailto:dmarc@good.audit.test'), `rua row: ${tagRows.rua}`);
    await tags.screenshot({ path: `${SCREENSHOTS}/domain-dmarc-tags-${label}.png` });
    // On a phone each tag is a card: nothing hides behind a sideways scroll.
    const sideways = await tags.evaluate((t) => t.parentElement.scrollWidth - t.parentElement.clientWidth);
    assert(sideways <= 1, `${label}: the DMARC tag table scrolls sideways by ${sideways}px`);
    // The legend of the SPF terms the record uses (text from shared).
    const legend = report.locator('.area-card[data-area="spf"] details.spf-terms');
    await legend.getByText('What the terms mean').click();
    const legendText = await legend.textContent();
    assert(legendText.includes('include') && legendText.includes('RFC 7208 §5.2') && legendText.includes('all'), `SPF legend: ${legendText}`);
    const spfGood = (await report.locator('.spf-total').textContent()).trim();
    assert(spfGood === 'DNS lookups: 1 of 10', `good SPF total: ${spfGood}`);
    // Transport security: the fake MX offers STARTTLS; the MTA-STS policy
    // cannot be fetched (closed port), so nothing stops a downgrade.
    const transport = page.getByRole('region', { name: 'Transport security' });
    const transportText = await transport.textContent();
    assert(transportText.includes('mx1.good.audit.test (192.0.2.10)') && transportText.includes('TLSv1.3'), `transport MX row: ${transportText}`);
    assert(/Verdict:\s*▲\s*opportunistic\s*Mail to this domain is encrypted in transit when the sender tries \(STARTTLS\), but not downgrade-protected/.test(transportText), `transport verdict: ${transportText}`);
    await page.screenshot({ path: `${SCREENSHOTS}/domain-good-${label}.png`, fullPage: true });

    // 2. The SPF tree of a domain over the limit.
    await audit(page, 'toomany.audit.test');
    const total = report.locator('.spf-total');
    await page.waitForFunction(() => document.querySelector('section.report .spf-total')?.textContent.includes('of 10') &&
      document.querySelector('section.report h3')?.textContent.includes('toomany'), null, { timeout: 30000 }).catch(() => {});
    await report.locator('.spf-node.crosses-limit').waitFor({ timeout: 30000 });
    const totalText = (await total.textContent()).trim();
    assert(totalText === 'DNS lookups: 15 of 10', `SPF total: ${totalText}`);
    const crossing = report.locator('.spf-node.crosses-limit').first();
    assert(await crossing.getAttribute('data-total') === '11', `crossing node total: ${await crossing.getAttribute('data-total')}`);
    assert((await crossing.locator('> .spf-line').textContent()).includes('crosses the limit of 10'), 'crossing badge');
    const includes = await report.locator('.spf-node.k-include').count();
    assert(includes === 6, `include nodes: ${includes}`);
    const first = (await report.locator('.spf-node.k-include > .spf-line .spf-cost').first().textContent()).trim();
    assert(first === '+1 lookup · total 1/10', `first include cost: ${first}`);
    const badge = (await report.locator('.spf-totals .badge').first().textContent()).trim();
    assert(badge.includes('over the limit'), `over-limit badge: ${badge}`);
    // Nothing in the cards is wider than the screen (long records wrap,
    // tables scroll inside their card).
    const overflow = await page.evaluate(() => [...document.querySelectorAll('section.report .area-card')]
      .filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => `${c.dataset.area} ${c.scrollWidth}>${c.clientWidth}`));
    assert(overflow.length === 0, `cards wider than the viewport: ${overflow.join(', ')}`);
    const cardsWidth = await report.locator('.domain-cards').evaluate((e) => e.getBoundingClientRect().width);
    assert(cardsWidth <= viewport.width, `domain cards ${cardsWidth}px wide in a ${viewport.width}px viewport`);
    await report.locator('.area-card[data-area="spf"]').screenshot({ path: `${SCREENSHOTS}/domain-spf-tree-${label}.png` });
    await page.screenshot({ path: `${SCREENSHOTS}/domain-toomany-${label}.png`, fullPage: true });

    // 3. DKIM selectors named in the form (desktop): a selector that is not
    //    one of the guessed ones is audited; a malformed one is refused
    //    under the field, before anything is sent.
    let selectorNote = '';
    if (label === 'desktop') {
      const field = page.getByLabel('DKIM selectors');
      await field.fill('old, selector!');
      await audit(page, 'bad.audit.test');
      const fieldError = page.locator('#selectors-error');
      await fieldError.waitFor({ timeout: 5000 });
      assert((await fieldError.textContent()).includes('"selector!" is not a DKIM selector'), `selector error: ${await fieldError.textContent()}`);
      assert(await field.getAttribute('aria-invalid') === 'true', 'the field is marked invalid');
      await field.fill('old._domainkey');
      assert(await fieldError.count() === 0, 'typing clears the error');
      await audit(page, 'bad.audit.test');
      const dkim = report.locator('.area-card[data-area="dkim"]');
      await page.locator('section.report h3', { hasText: 'Domain bad.audit.test' }).waitFor({ timeout: 30000 });
      const dkimText = await dkim.textContent();
      assert(dkimText.includes('old') && dkimText.includes('revoked'), `the named selector is audited: ${dkimText}`);
      selectorNote = '; selector "old" audited, revoked key shown';
    }

    assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
    console.log(`domain ${label}: ${liveChecks} checks streamed before the report${waiting.includes('Waiting') ? ' (SMTP card still waiting)' : ''}; SMTP row: ${rowText.replace(/\s+/g, ' ').slice(0, 120)}…; toomany SPF: ${totalText}, ${includes} includes, limit crossed at total 11${selectorNote}`);
    await context.close();
  }
} finally {
  await browser.close();
}
