// The small test harness the end-to-end files share: TAP-like "ok - …" / "not ok - …"
// lines, screenshots on demand, the closing "N passed, N failed" line, and the helpers the
// scenarios share (below).
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newSession, waitForDriver } from './webdriver.mjs';

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

// What the scenarios share: selectors, steps that stop the scenario on failure, clicks and
// texts as a user sees them, the CLI on a data dir, the example fixtures, the app session.

const HERE = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

/** The example data the scenarios import with preau-cli. */
export const FIXTURES = {
  schools: path.resolve(HERE, '../../crates/preau-reference/tests/fixtures/annuaire-education-2024-somme.csv'),
  visit: path.resolve(HERE, '../fixtures/visit-peronne-2-ecoles.json'),
};

/** The selector of a `data-testid`. */
export const $ = (testid) => `[data-testid="${testid}"]`;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by a failed step: the next steps depend on it, so the scenario stops. */
export class StopScenario extends Error {}

/**
 * A screenshot that nudges the page until it comes. WebKitWebDriver answers one only after
 * the page paints again; a page that has settled (e.g. right after a proposal is issued)
 * may never repaint by itself.
 */
export async function freshShot(session, name, prefix = '') {
  if (!session || !SHOTS) return;
  let done = false;
  const taken = shot(session, name, prefix).finally(() => {
    done = true;
  });
  for (let i = 0; i < 50 && !done; i += 1) {
    await sleep(100);
    if (done) break;
    await session
      .execute('document.body.style.outline = arguments[0] ? "1px solid transparent" : "";', [i % 2 === 0])
      .catch(() => {});
  }
  await taken;
}

/**
 * A `step(label, session, fn)` function: runs `fn`, prints « ok », or prints « not ok »,
 * takes a FAILED-… screenshot (with `screenshot`, named with `prefix`) and throws
 * StopScenario.
 */
export function stepper({ prefix = '', screenshot = shot } = {}) {
  return async function step(label, session, fn) {
    try {
      const result = await fn();
      ok(label);
      return result;
    } catch (error) {
      fail(label, error);
      await screenshot(session, `FAILED-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`, prefix);
      throw new StopScenario();
    }
  };
}

/** Runs preau-cli (PREAU_CLI) on the data dir `dir`; answers its standard output. */
export async function cliIn(dir, ...args) {
  const { stdout } = await run(process.env.PREAU_CLI, ['--data-dir', dir, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Imports the schools and the example visit into `dir` with preau-cli; answers the visit's id. */
export async function importExampleVisit(dir) {
  await cliIn(dir, 'schools', 'import', FIXTURES.schools);
  const visitId = (await cliIn(dir, 'visits', 'import', FIXTURES.visit)).trim();
  assert(visitId.length > 10, `visit id ${visitId}`);
  return visitId;
}

/** Waits for tauri-driver; prints whether it is reachable and answers it. */
export async function driverReachable() {
  try {
    await waitForDriver();
    ok('tauri-driver is reachable');
    return true;
  } catch (error) {
    fail('tauri-driver is reachable', error);
    return false;
  }
}

/**
 * Starts the app (PREAU_APP, with `args`) as the step `label`, runs `scenario(session)`,
 * and always closes the session. An error other than a failed step is reported as unexpected, after
 * which `onError` may print more.
 */
export async function withApp(step, label, scenario, onError = () => {}, args = []) {
  const session = await step(label, null, () => newSession(process.env.PREAU_APP, { args }));
  if (process.env.PREAU_E2E_DEBUG) console.log(`  session ${session.id} at ${session.base}`);
  try {
    // A/B of a style without rebuilding the app (a build takes minutes): PREAU_E2E_CSS is
    // added to the page's styles; the app is a single page, so it stays for the whole run.
    if (process.env.PREAU_E2E_CSS) {
      await session.execute('const s = document.createElement("style"); s.textContent = arguments[0]; document.head.append(s); return true;', [process.env.PREAU_E2E_CSS]);
    }
    return await scenario(session);
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('unexpected error', error);
    onError(error);
  } finally {
    await session.delete().catch(() => {});
  }
}

/**
 * A scenario's whole run: `setUp` (the CLI, no app) as the step `label`, then the app with
 * `scenario(session, whatSetUpAnswered)`; a failed set-up stops there.
 */
export async function setUpThenApp(step, label, setUp, scenario) {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  let made;
  try {
    made = await step(label, null, setUp);
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up', error);
    return;
  }
  if (!(await driverReachable())) return;
  await withApp(step, 'start the app', (session) => scenario(session, made));
}

/** Clicks like a user who first scrolls the element to the middle of the screen. */
export async function click(session, element) {
  await session.execute('arguments[0].scrollIntoView({ block: "center", inline: "nearest" });', [element]);
  await element.click();
}

/** The exact text content (WebDriver's « text » turns no-break spaces into spaces). */
export async function textContent(session, element) {
  return (await session.execute('return arguments[0].textContent;', [element])).trim();
}

/** WebDriver's codes of the keys the scenarios press. */
export const KEY = {
  enter: '\uE007',
  tab: '\uE004',
  shift: '\uE008',
  space: '\uE00D',
  backspace: '\uE003',
  escape: '\uE00C',
  left: '\uE012',
  up: '\uE013',
  right: '\uE014',
  down: '\uE015',
  pageUp: '\uE00E',
  pageDown: '\uE00F',
  f5: '\uE035',
  control: '\uE009',
  alt: '\uE00A',
};

/** Presses keys on the keyboard (W3C actions), wherever the focus is. */
export async function press(session, ...keys) {
  const actions = [];
  for (const key of keys) actions.push({ type: 'keyDown', value: key }, { type: 'keyUp', value: key });
  await session.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
}

/** `modifier` held while `key` is pressed (Ctrl + =, Alt + 5…), wherever the focus is. */
export async function chord(session, modifier, key) {
  const actions = [
    { type: 'keyDown', value: modifier },
    { type: 'keyDown', value: key },
    { type: 'keyUp', value: key },
    { type: 'keyUp', value: modifier },
  ];
  await session.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
}

/**
 * The link to the visit `visitId` in the list of « Visites ». Not any link to it: the home
 * screen and a commune sheet link to their visits too, and one of those, found while the
 * screen is still changing, is gone by the time it is clicked.
 */
export function visitItem(visitId) {
  return `[data-testid="visit-row"][data-id="${visitId}"] [data-testid="visit-item"]`;
}

/** Opens the visit `visitId` from « Visites ». */
export async function openVisit(session, visitId) {
  await click(session, await session.waitForElement($('nav-visits'), { timeout: 30_000 }));
  await click(session, await session.waitForElement(visitItem(visitId)));
  await session.waitForElement($('visit-header'), { timeout: 20_000 });
}

/** Shows the step `name` of the open visit. */
export async function gotoStep(session, name) {
  await (await session.waitForElement($(`step-${name}`))).click();
  await session.waitFor(
    async () => (await session.execute(`return !document.querySelector('[data-step="${name}"]').hidden`)) === true,
    { message: `step ${name} shown` },
  );
}

/**
 * The CPU time (ms) the app's web processes have used: what a frame costs whatever else
 * the machine runs (the delays between frames grow with the load). Found by their
 * environment (the test's data dir `dataDir`); Linux only, like the rest of the e2e.
 */
export async function webProcessCpu(dataDir) {
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!(await readFile(`/proc/${pid}/comm`, 'utf8')).startsWith('WebKitWebProces')) continue;
      if (!(await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes(`PREAU_DATA_DIR=${dataDir}`)) continue;
      const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A process that ended in between.
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
