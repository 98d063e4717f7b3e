#!/usr/bin/env node
// End-to-end test of a lost keyring (issue 12), in the real app on the real Secret Service
// of the runner's D-Bus session (GNOME Keyring):
// - preau-cli makes an encrypted store whose key is in the keyring;
// - the key is removed from the keyring (as in another session or for another user): the
//   app says so in French, the store file is left exactly as it was, no new key is made;
// - « Mettre ces données de côté… » renames the store aside (same bytes) and the app
//   opens on the welcome of a new install, from which the laptop is enrolled again.
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR (fresh), TAURI_DRIVER_URL (from tests/e2e/run.sh).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { newSession } from './webdriver.mjs';
import { $, assert, driverReachable, fail, finish, StopScenario, stepper } from './tap.mjs';

const APP = process.env.PREAU_APP;
const CLI = process.env.PREAU_CLI;
const DATA = process.env.PREAU_DATA_DIR;
const SERVICE = 'fr.somme-numerique.preau';
const step = stepper({ prefix: 'keyring-' });

/** The keyring entry of the store's key, as preau_core::secrets names it. */
function keyAttributes() {
  return ['service', SERVICE, 'username', `store-key ${realpathSync(DATA)}`];
}

async function main() {
  assert(APP && CLI && DATA, 'PREAU_APP, PREAU_CLI and PREAU_DATA_DIR must be set');
  if (!(await driverReachable())) return;
  const db = path.join(DATA, 'preau.db');
  let before;
  await step('preau-cli makes an encrypted store, its key in the keyring', null, async () => {
    execFileSync(CLI, ['--data-dir', DATA, 'visits', 'create', '--commune', '80620', '--at', '2026-12-03T18:00']);
    const key = execFileSync('secret-tool', ['lookup', ...keyAttributes()]).toString().trim();
    assert(/^[0-9a-f]{64}$/.test(key), 'no 256-bit key in the keyring');
    before = readFileSync(db);
    assert(!before.subarray(0, 16).equals(Buffer.from('SQLite format 3\0')), 'the store is plain SQLite');
  });
  await step('the key leaves the keyring (another session)', null, async () => {
    execFileSync('secret-tool', ['clear', ...keyAttributes()]);
    let found = '';
    try {
      found = execFileSync('secret-tool', ['lookup', ...keyAttributes()], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch {
      // secret-tool exits 1 when there is no such secret
    }
    assert(found === '', 'the key is still there');
  });
  const session = await step('the app starts', null, () => newSession(APP));
  try {
    await step('the app says the key is missing, in French, and changes nothing', session, async () => {
      const panel = await session.waitForElement($('recovery'), { timeout: 30_000 });
      await session.waitForElement($('key-missing'));
      const text = await panel.text();
      assert(/clé de vos données/i.test(text) && /Rien n.a été effacé/.test(text), `recovery text: ${text}`);
      assert(readFileSync(db).equals(before), 'the store file was changed');
      let key = '';
      try {
        key = execFileSync('secret-tool', ['lookup', ...keyAttributes()], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      } catch {
        // none: as expected
      }
      assert(key === '', 'a new key was made for a store that has one');
    });
    await step('« Mettre de côté » keeps the store aside and opens on the welcome', session, async () => {
      await (await session.find($('start-over'))).click();
      await (await session.waitForElement($('start-over-confirm'))).click();
      await session.waitForElement($('welcome'), { timeout: 30_000 });
      const aside = readdirSync(DATA).filter((f) => /^preau\.db\.cle-introuvable-\d{8}-\d{6}$/.test(f));
      assert(aside.length === 1, `one store set aside (found ${readdirSync(DATA)})`);
      assert(readFileSync(path.join(DATA, aside[0])).equals(before), 'the set-aside store is not the old bytes');
    });
  } finally {
    await session.delete().catch(() => {});
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof StopScenario)) fail('unexpected error', error);
}
finish();
