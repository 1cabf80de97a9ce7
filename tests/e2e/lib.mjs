// Shared Playwright setup: the system Chromium, headless, with the flags
// that keep it off the network (TOOLCHAIN.md).
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Collects console errors and failed requests so a test can assert none happened.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText;
    // The app closes an audit's (or a test address's) EventSource as soon as the final report
    // arrives; if the server has not finished the response yet, Chromium
    // reports that deliberate close as ERR_ABORTED. It is not a failure.
    if (why === 'net::ERR_ABORTED' && /\/api\/(audits|test-addresses)\/[0-9a-f]+\/events$/.test(r.url())) return;
    // After the first render the app fetches the example message in the
    // background to warm up (frontend/src/app.rs, warm_up); a navigation
    // while that fetch is in flight (a private link reloads the page)
    // cancels it, which Chromium also reports as ERR_ABORTED. A failed
    // example fetch that the user asked for is tested in errors.mjs.
    if (why === 'net::ERR_ABORTED' && r.url().endsWith('/10-sendgrid-newsletter-complete.eml')) return;
    // Likewise the engine worker's files (frontend/src/worker.rs), which
    // the page starts loading once it is drawn.
    if (why === 'net::ERR_ABORTED' && /\/(engine-loader\.js|engine\.js|engine_bg\.wasm)$/.test(r.url())) return;
    errors.push(`requestfailed: ${r.url()} ${why}`);
  });
  return errors;
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export const BASE_URL = process.env.BASE_URL;
export const SCREENSHOTS = process.env.SCREENSHOT_DIR || 'target/screenshots';
