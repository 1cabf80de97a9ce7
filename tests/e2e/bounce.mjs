// The bounce card (#14), in a real browser, desktop and mobile: a real
// qmail bounce and a real Office 365 NDR from the sisimai corpus
// (../shared/conformance/sisimai) pasted as a message show the card at the
// top of the report: each recipient, the verdict in plain words, who must
// act and the next step; the qmail bounce quotes its original, whose
// sender's domain is offered for audit. The qmail text pasted into
// "Explain an SMTP error" gives the same recipient card (one reader).
import { readFileSync } from 'node:fs';
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const CORPUS = '../shared/conformance/sisimai/eml';
const QMAIL = readFileSync(`${CORPUS}/lhost-qmail-16.eml`, 'utf8');
const O365 = readFileSync(`${CORPUS}/rhost-microsoft-03.eml`, 'utf8');

const CASES = [
  { what: 'qmail', paste: QMAIL, recipient: 'userunknown@libsisimai.net', codes: '550 5.1.1', audit: 'Audit nq.example.jp', sender: 'kijitora@nq.example.jp' },
  // The NDR comes from MAILER-DAEMON@amazonses.com and quotes a message
  // from sironeko@example.net: the audit offered is the original sender's.
  { what: 'office365', paste: O365, recipient: 'kijitora@example.com', codes: '550 5.1.10', audit: 'Audit example.net', sender: 'sironeko@example.net', notAudit: 'Audit amazonses.com' },
];

const browser = await launch();
try {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(BASE_URL + '/');
    const textarea = page.getByLabel('Raw headers or message');
    await textarea.waitFor({ timeout: 15000 });
    for (const c of CASES) {
      await textarea.fill(c.paste);
      await page.getByRole('button', { name: 'Analyze' }).click();
      const card = page.locator('section.bounce-card');
      await card.waitFor({ timeout: 15000 });
      // The card comes before the rest of the report.
      const first = await page.locator('section.report > :nth-child(2)').getAttribute('class');
      assert(first && first.includes('bounce-card'), `${c.what}: the bounce card is at the top, got ${first}`);
      const heading = await card.getByRole('heading', { level: 2 }).textContent();
      assert(heading.includes('1 recipient'), `${c.what}: heading ${heading}`);
      const rcpt = card.getByRole('article', { name: `Bounced recipient ${c.recipient}` });
      await rcpt.waitFor({ timeout: 5000 });
      const text = await rcpt.textContent();
      for (const want of ['✘ failed', 'Verdict', 'The mailbox does not exist.', 'Who must act', 'the sender', 'Next step', 'Check the address for typos', c.codes, 'userunknown']) {
        assert(text.includes(want), `${c.what}: card has "${want}": ${text}`);
      }
      if (c.audit) {
        const button = card.getByRole('button', { name: c.audit });
        assert(await button.isVisible(), `${c.what}: "${c.audit}" offered`);
        assert((await card.textContent()).includes(c.sender), `${c.what}: the original's sender shown`);
      }
      if (c.notAudit) {
        const count = await page.getByRole('button', { name: c.notAudit }).count();
        assert(count === 0, `${c.what}: "${c.notAudit}" (the bounce's own sender) is not offered`);
      }
      // Nothing is wider than the viewport (long URLs in the server's words wrap).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(overflow <= 0, `${c.what}: the page is ${overflow}px wider than the ${name} viewport`);
      await page.screenshot({ path: `${SCREENSHOTS}/bounce-${c.what}-${name}.png`, fullPage: true });
    }
    // The same reader behind "Explain an SMTP error": the qmail text alone.
    const smtp = page.getByLabel('SMTP error or bounce');
    await smtp.fill(QMAIL.slice(QMAIL.indexOf('Hi. This is the qmail-send program')));
    await page.getByRole('button', { name: 'Explain' }).click();
    const explained = page.getByRole('region', { name: 'Explanation' })
      .getByRole('article', { name: 'Bounced recipient userunknown@libsisimai.net' });
    await explained.waitFor({ timeout: 10000 });
    assert((await explained.textContent()).includes('The mailbox does not exist.'), 'explainer verdict');
    assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
    console.log(`bounce ${name}: qmail and Office 365 cards, explainer card`);
    await context.close();
  }
} finally {
  await browser.close();
}
