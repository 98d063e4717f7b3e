#!/usr/bin/env node
// End-to-end test of what protects the adviser's data at start-up, in the real app:
// - a second launch does not open a second window: it exits and the first one stays;
// - a damaged data file is reported in French, left untouched, and the last backup can be
//   restored from the window.
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR (fresh), TAURI_DRIVER_URL (from tests/e2e/run.sh).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { newSession } from './webdriver.mjs';
import { assert, fail, finish, ok } from './tap.mjs';

const APP = process.env.PREAU_APP;
const CLI = process.env.PREAU_CLI;
const DATA = process.env.PREAU_DATA_DIR;
const $ = (testid) => `[data-testid="${testid}"]`;

async function step(label, fn) {
  try { await fn(); ok(label); } catch (error) { fail(label, error); throw error; }
}

/** Runs the app binary directly (not through the driver) and waits for it to exit. */
function launchAgain(timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(APP, [], { env: process.env, stdio: 'ignore' });
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve({ exited: false }); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ exited: true, code }); });
  });
}

let session;
try {
  assert(APP && CLI && DATA, 'PREAU_APP, PREAU_CLI and PREAU_DATA_DIR must be set');
  // A visit to find again after the restore.
  const visitId = execFileSync(CLI, ['--data-dir', DATA, 'visits', 'create', '--commune', '80620', '--at', '2026-12-03T18:00']).toString().trim();
  // Backups are daily: start afresh so that today's backup holds the visit.
  rmSync(path.join(DATA, 'backups'), { recursive: true, force: true });
  execFileSync(CLI, ['--data-dir', DATA, 'visits', 'list']);

  await step('the app starts', async () => {
    session = await newSession(APP);
    await session.waitForElement($('nav-home'), { timeout: 20_000 });
  });
  await step('a second launch exits at once and the first window stays', async () => {
    const second = await launchAgain(10_000);
    assert(second.exited, 'the second instance is still running after 10 s');
    const handles = await session.cmd('GET', '/window/handles');
    assert(handles.length === 1, `expected one window, found ${handles.length}`);
    await session.find($('nav-home'));
  });
  await session.delete();
  session = null;

  const db = path.join(DATA, 'preau.db');
  const garbage = Buffer.from('ce fichier a été abîmé par une coupure de courant. '.repeat(100));
  await step('a damaged data file is reported in French and left untouched', async () => {
    for (const side of ['-wal', '-shm']) rmSync(db + side, { force: true });
    writeFileSync(db, garbage);
    session = await newSession(APP);
    const panel = await session.waitForElement($('recovery'), { timeout: 20_000 });
    const text = await panel.text();
    assert(/illisible ou endommagé/.test(text), `unexpected recovery text: ${text}`);
    assert(readFileSync(db).equals(garbage), 'the damaged file was modified');
  });
  await step('the last backup is restored and the visit is back', async () => {
    const restore = await session.waitForElement($('restore-backup'));
    await restore.click();
    await session.waitForElement($('nav-home'), { timeout: 20_000 });
    const aside = readdirSync(DATA).filter((f) => f.startsWith('preau.db.endommage-'));
    assert(aside.length === 1, `the damaged file is kept aside (found ${aside})`);
    const visits = execFileSync(CLI, ['--data-dir', DATA, 'visits', 'list']).toString();
    assert(visits.includes(visitId), `visit ${visitId} not restored: ${visits}`);
  });
} catch {
  // the failed step was reported
} finally {
  if (session) await session.delete().catch(() => {});
  finish();
}
