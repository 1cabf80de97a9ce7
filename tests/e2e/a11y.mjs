// Accessibility of every page state, in a real browser (issue 7, "Quality
// bars"):
// 1. axe-core's WCAG 2.1 A/AA rules (labels, names, contrast, ARIA, landmarks
//    of forms) on the home page, a rich message report with every check
//    expanded, and a domain report, in light and dark colour schemes;
// 2. keyboard only: Tab reaches "Raw headers or message", "Analyze",
//    "Domain" and "Audit" in that order, each with a visible focus ring,
//    and a message can be analysed and a check expanded without a mouse.
// Any violation fails the test with the rule, the element and axe's advice.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, watchErrors, assert, BASE_URL, SCREENSHOTS } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const MESSAGE = readFileSync('tests/fixtures/messages/13-mailing-list-arc.eml', 'utf8');

// Runs axe on the page and returns the violations as readable lines.
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Through the DevTools protocol: the app's CSP (rightly) refuses inline scripts.
    await page.evaluate(AXE);
  }
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return { violations: r.violations, passes: r.passes.length };
  });
  return {
    passes: result.passes,
    lines: result.violations.flatMap((v) =>
      v.nodes.slice(0, 5).map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`)),
  };
}

async function checkState(page, state, failures) {
  const { passes, lines } = await axe(page);
  for (const line of lines) failures.push(`${state}: ${line}`);
  return passes;
}

const browser = await launch();
const failures = [];
try {
  for (const scheme of ['light', 'dark']) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(BASE_URL + '/');
    const textarea = page.getByLabel('Raw headers or message');
    await textarea.waitFor({ timeout: 15000 });
    let rules = await checkState(page, `home ${scheme}`, failures);

    // A rich message report, every explanation opened so its text is checked too.
    await textarea.fill(MESSAGE);
    await page.getByRole('button', { name: 'Analyze' }).click();
    await page.locator('section.report').waitFor({ timeout: 15000 });
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    rules += await checkState(page, `message report ${scheme}`, failures);
    await page.screenshot({ path: `${SCREENSHOTS}/a11y-message-${scheme}.png`, fullPage: true });

    // A domain report from the loopback DNS server.
    await page.getByLabel('Domain').fill('shop.test');
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await page.locator('section.report tr.mx-host').first().waitFor({ timeout: 30000 });
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    rules += await checkState(page, `domain report ${scheme}`, failures);
    await page.screenshot({ path: `${SCREENSHOTS}/a11y-domain-${scheme}.png`, fullPage: true });

    assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
    console.log(`a11y ${scheme}: 3 page states, ${rules} axe rule checks passed`);
    await context.close();
  }

  // Keyboard only, at the 360 px mobile width.
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(BASE_URL + '/');
  await page.getByLabel('Raw headers or message').waitFor({ timeout: 15000 });
  const wanted = ['Raw headers or message', 'Analyze', 'Domain', 'Audit'];
  const order = [];
  for (let i = 0; i < 40 && order.length < wanted.length; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const label = el.labels?.[0]?.textContent?.trim() || el.getAttribute('aria-label') || el.textContent.trim();
      const style = getComputedStyle(el);
      const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      return { label, ring };
    });
    if (!focused) continue;
    const hit = wanted.find((w) => focused.label === w || focused.label.startsWith(w + '\n'));
    if (hit && !order.includes(hit)) {
      assert(focused.ring, `"${hit}" has no visible focus indicator`);
      order.push(hit);
    }
  }
  assert(JSON.stringify(order) === JSON.stringify(wanted), `Tab order reached ${JSON.stringify(order)}`);

  // Analyse with the keyboard alone: focus the textarea by Tab, type, Tab to Analyze, Enter.
  await page.goto(BASE_URL + '/');
  await page.getByLabel('Raw headers or message').waitFor({ timeout: 15000 });
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.tagName === 'TEXTAREA')) break;
  }
  await page.keyboard.insertText(MESSAGE);
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Analyze')) break;
  }
  await page.keyboard.press('Enter');
  await page.locator('section.report').waitFor({ timeout: 15000 });
  // Expand the first check's explanation from the keyboard.
  const summary = page.locator('section.report details summary').first();
  await summary.focus();
  const before = await summary.evaluate((s) => s.parentElement.open);
  await page.keyboard.press('Enter');
  const after = await summary.evaluate((s) => s.parentElement.open);
  assert(before !== after, 'Enter on a check summary toggles its explanation');
  await page.screenshot({ path: `${SCREENSHOTS}/a11y-keyboard-mobile.png`, fullPage: true });
  assert(errors.length === 0, `browser errors: ${errors.join('; ')}`);
  console.log(`a11y keyboard: Tab order ${order.join(' → ')}, each with a focus ring; analysed and expanded a check by keyboard`);
  await context.close();
} finally {
  await browser.close();
}
assert(failures.length === 0, `${failures.length} accessibility violations:\n${failures.join('\n')}`);
