#!/usr/bin/env node
// Benchmark, not a test: time from a keystroke in a line's quantity to the totals panel
// showing the new total, in the real app. Run by scripts/bench-keystroke.sh.
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newSession } from './webdriver.mjs';

const { PREAU_APP: APP, PREAU_CLI: CLI, PREAU_DATA_DIR: DATA } = process.env;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const $ = (testid) => `[data-testid="${testid}"]`;

const visitId = execFileSync(CLI, ['--data-dir', DATA, 'visits', 'import', path.join(ROOT, 'tests/fixtures/visit-peronne-2-ecoles.json')])
  .toString()
  .trim();
const session = await newSession(APP);
try {
  await session.waitForElement($('nav-home'), { timeout: 20_000 });
  await session.execute(`location.hash = '#/visites/${visitId}'`);
  await (await session.waitForElement($('step-equipements'), { timeout: 10_000 })).click();
  await session.waitForElement($('line-quantity'), { timeout: 10_000 });
  const samples = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const ms = await session.cmd('POST', '/execute/async', {
      script: `
        const [quantity, done] = arguments;
        const input = document.querySelector('[data-testid="line-quantity"]');
        const total = document.querySelector('[data-testid="totals-ht"]');
        const before = total.textContent;
        const observer = new MutationObserver(() => {
          if (total.textContent !== before) {
            observer.disconnect();
            done(performance.now() - start);
          }
        });
        observer.observe(total, { childList: true, characterData: true, subtree: true });
        const start = performance.now();
        input.focus();
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        setter.call(input, quantity);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        setTimeout(() => { observer.disconnect(); done(-1); }, 5000);`,
      args: [String(2 + (i % 2))],
    });
    if (ms < 0) throw new Error('the totals did not change within 5 s');
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  const at = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  console.log(`keystroke → totals, ${ROUNDS} keystrokes: median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${samples.at(-1).toFixed(1)} ms`);
} finally {
  await session.delete().catch(() => {});
}
