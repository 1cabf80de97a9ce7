// Export and print, in a real browser:
// 1. paste headers with hostile content, Analyze;
// 2. "Export JSON" downloads mxlens-message-<date>.json holding the report;
// 3. "Export Markdown" downloads mxlens-message-<date>.md, the shared
//    Markdown rendering, with the hostile Subject escaped in its table;
// 4. the print stylesheet hides the forms and buttons and shows every
//    check's explanation; desktop and 360 px mobile, screenshots saved.
import { readFileSync } from 'node:fs';
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const HEADERS = `Received: from mail.shop.test (mail.shop.test [198.51.100.7])
\tby mx.example.net with ESMTPS id abc123; Tue, 1 Jul 2025 10:00:05 +0000
From: Shop Team <news@shop.test>
To: bob@example.net
Subject: <script>window.__xss=1</script> | \`tick\` [x](javascript:alert(1))
Date: Tue, 1 Jul 2025 10:00:00 +0000
Message-ID: <order-1@shop.test>
`;

async function download(page, name) {
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: 10000 }),
    page.getByRole('button', { name }).click(),
  ]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

const browser = await launch();
try {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['mobile', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(BASE_URL + '/');
    await page.getByLabel('Raw headers or message').fill(HEADERS);
    await page.getByRole('button', { name: 'Analyze' }).click();
    await page.locator('.from-address').waitFor({ timeout: 10000 });

    const json = await download(page, 'Export JSON');
    assert(/^mxlens-message-\d{4}-\d\d-\d\d\.json$/.test(json.name), `JSON file name: ${json.name}`);
    const report = JSON.parse(json.text);
    assert(report.kind === 'message' && report.schema_version === 1, `JSON kind: ${report.kind}`);
    assert(report.message.from.address === 'news@shop.test', 'JSON From');
    assert(report.message.subject.includes('<script>'), 'JSON keeps the subject verbatim (it is data, not markup)');
    assert(Array.isArray(report.checks) && report.checks.length > 5, 'JSON checks');

    const md = await download(page, 'Export Markdown');
    assert(/^mxlens-message-\d{4}-\d\d-\d\d\.md$/.test(md.name), `Markdown file name: ${md.name}`);
    assert(md.text.startsWith('# mxlens message report: from news@shop.test'), `Markdown title: ${md.text.slice(0, 80)}`);
    assert(md.text.includes('## Checks') && md.text.includes('| Status | Check | Detail | Fix |'), 'Markdown check table');
    assert(!md.text.includes('<script>'), 'raw <script> in the Markdown');
    assert(md.text.includes('## Transport security') && md.text.includes('**Verdict:** This message used TLS on every one of its 1 recorded hops.'), `Markdown transport section: ${md.text.slice(md.text.indexOf('## Transport'), md.text.indexOf('## Transport') + 300)}`);
    const subjectRow = md.text.split('\n').find((l) => l.startsWith('| Subject |'));
    assert(subjectRow === '| Subject | &lt;script&gt;window.\\_\\_xss=1&lt;/script&gt; \\| \\`tick\\` \\[x\\]\\(javascript:alert\\(1\\)\\) |',
      `escaped Subject row: ${subjectRow}`);
    assert(md.text.includes(`Made by mxlens ${report.tool.version}`) && md.text.includes(report.generated_at), 'Markdown footer');

    // Print: no forms or buttons, every explanation visible.
    await page.emulateMedia({ media: 'print' });
    assert(!(await page.getByRole('button', { name: 'Analyze' }).isVisible()), 'Analyze button printed');
    assert(!(await page.getByRole('button', { name: 'Export JSON' }).isVisible()), 'Export button printed');
    const explain = page.locator('.check .explain').first();
    assert(await explain.isVisible(), 'check explanations are expanded in print');
    const background = await page.evaluate(() => getComputedStyle(document.querySelector('.report')).backgroundColor);
    assert(background === 'rgb(255, 255, 255)', `print background: ${background}`);
    await page.screenshot({ path: `${SCREENSHOTS}/export-print-${label}.png`, fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: `${SCREENSHOTS}/export-${label}.png`, fullPage: true });

    assert(await page.evaluate(() => window.__xss) === undefined, 'hostile header content executed');
    assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
    console.log(`export ${label}: ${json.name} (${json.text.length} bytes, ${report.checks.length} checks), ${md.name} (${md.text.length} bytes), print hides controls and expands checks`);
    await context.close();
  }
} finally {
  await browser.close();
}
