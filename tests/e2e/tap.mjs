// The small test harness the end-to-end files share: TAP-like "ok - …" / "not ok - …"
// lines, screenshots on demand, and the closing "N passed, N failed" line.
import path from 'node:path';

const SHOTS = process.env.PREAU_SCREENSHOTS || null;
let passed = 0;
let failed = 0;
let shotIndex = 0;

export function ok(label) {
  passed += 1;
  console.log(`ok - ${label}`);
}

export function fail(label, error) {
  failed += 1;
  console.log(`not ok - ${label}`);
  console.log(`  ${String(error?.stack ?? error).split('\n').join('\n  ')}`);
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Saves a screenshot as PREAU_SCREENSHOTS/<prefix>NN-name.png when that variable is set. */
export async function shot(session, name, prefix = '') {
  if (!SHOTS || !session) return;
  shotIndex += 1;
  const file = path.join(SHOTS, `${prefix}${String(shotIndex).padStart(2, '0')}-${name}.png`);
  try {
    await session.screenshot(file);
    console.log(`  screenshot: ${file}`);
  } catch (error) {
    console.log(`  (screenshot ${name} failed: ${error.message})`);
  }
}

/** Prints the closing line and sets the exit status. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
