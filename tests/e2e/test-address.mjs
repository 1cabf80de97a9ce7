// "Send a test message" (#16) in a real browser: the card gives a fresh
// address; the page reopened at its /t/{id} link shows the same address;
// a message sent to it over SMTP (a plain client on SMTP_ADDR) moves the
// card through its progress to the stored delivery report at /r/{id},
// which a fresh browser context opens again.
import net from 'node:net';
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const [SMTP_HOST, SMTP_PORT] = process.env.SMTP_ADDR.split(':');

// One SMTP transaction, each command after the previous reply.
function sendMail(to) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(SMTP_PORT), SMTP_HOST);
    const steps = ['EHLO browser-test.example', 'MAIL FROM:<sender@browser-test.example>', `RCPT TO:<${to}>`, 'DATA',
      'From: Sender <sender@browser-test.example>\r\nTo: <' + to + '>\r\nSubject: browser test\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <browser@browser-test.example>\r\n\r\nHello.\r\n.', 'QUIT'];
    let buffer = '';
    const replies = [];
    socket.setTimeout(20000, () => reject(new Error('SMTP timeout: ' + replies.join(' | '))));
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (line[3] === '-') continue;
        replies.push(line);
        const step = steps.shift();
        if (step === undefined) { socket.end(); resolve(replies); return; }
        socket.write(step + '\r\n');
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
  });
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(BASE_URL + '/');
  await page.getByRole('button', { name: 'Get a test address' }).click();
  const shown = page.locator('#test-address');
  await shown.waitFor({ timeout: 15000 });
  const address = (await shown.textContent()).trim();
  assert(/^t[0-9a-f]+@test\.example$/.test(address), `address shown: ${address}`);
  assert(await page.getByRole('button', { name: 'Copy' }).isVisible(), 'Copy button');
  const link = await page.locator('a[href^="/t/"]').getAttribute('href');
  const id = link.slice(3);

  // Reopened by its link in another context: the same address, waiting.
  const other = await browser.newContext();
  const reopened = await other.newPage();
  await reopened.goto(BASE_URL + link);
  await reopened.locator('#test-address').waitFor({ timeout: 15000 });
  assert((await reopened.locator('#test-address').textContent()).trim() === address, 'the reopened page shows the address');
  assert((await reopened.locator('#test-address-status').textContent()).includes('Waiting'), 'waiting');

  const replies = await sendMail(address);
  assert(replies.some((r) => r.startsWith('250 2.0.0 Ok: queued')), `accepted: ${replies.join(' | ')}`);
  // Both pages follow the events to the stored report.
  for (const p of [page, reopened]) {
    await p.waitForURL(`**/r/${id}`, { timeout: 30000 });
    await p.getByText('Delivery received').first().waitFor({ timeout: 15000 });
  }
  await page.screenshot({ path: `${SCREENSHOTS}/test-address-report.png`, fullPage: true });
  // The stored link opens in a fresh context.
  const fresh = await browser.newContext();
  const again = await fresh.newPage();
  await again.goto(`${BASE_URL}/r/${id}`);
  await again.getByText('Delivery received').first().waitFor({ timeout: 15000 });
  const body = await again.textContent('body');
  for (const want of ['HELO name', 'TLS on the delivery', 'browser-test.example']) {
    assert(body.includes(want), `the stored delivery report shows "${want}"`);
  }
  assert(errors.length === 0, `console errors: ${errors.join('\n')}`);
  console.log('test-address: card, reopen, delivery report, stored link');
} finally {
  await browser.close();
}
