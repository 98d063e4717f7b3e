#!/usr/bin/env node
// Accessibility of every screen in the real window: axe-core (npm, ui/node_modules,
// injected through WebDriver) audits each screen, each step of a visit and the
// presentation against WCAG 2.1 A and AA; any violation, of any impact, fails the screen
// with its rule and elements. First the screens of a start that is not the home screen,
// each on a data dir set for it: the welcome of a new install (its two paths, the server
// form with its errors, the offline step, the letterhead), the recovery of a damaged store,
// the recovery of a store whose key left the keyring (and its confirmation); then, on the
// example visit, every screen of the app.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import { execFileSync } from 'node:child_process';
import { readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  $,
  assert,
  cliIn,
  click,
  driverReachable,
  fail,
  finish,
  freshShot,
  gotoStep,
  importExampleVisit,
  KEY,
  openVisit,
  press,
  StopScenario,
  stepper,
  withApp,
} from './tap.mjs';
import { audit, loadAxe } from './axe.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const shot = (session, name) => freshShot(session, name, 'axe-');
const step = stepper({ prefix: 'axe-', screenshot: shot });

async function clean(session, name) {
  await step(`axe: no violation on ${name}`, session, async () => {
    const found = await audit(session);
    assert(found.length === 0, found.join('\n'));
  }).catch(async (error) => {
    // One screen's violations do not hide the next screen's.
    if (!(error instanceof StopScenario)) throw error;
  });
}

/** Opens a screen from the rail; `ready`: a selector only that screen has (the one left
 * stays on display for a moment). */
async function nav(session, testid, ready) {
  await click(session, await session.waitForElement($(testid), { timeout: 30_000 }));
  await session.waitForElement(ready, { timeout: 20_000 });
}

/** Empties the data dir (the app is closed): the next start is a new install. */
function emptyDataDir() {
  for (const entry of readdirSync(DATA)) rmSync(path.join(DATA, entry), { recursive: true, force: true });
}

/** The welcome, then the two recovery screens; leaves the data dir empty. */
async function startScreens() {
  await withApp(step, 'start the app on an empty data dir', async (session) => {
    await session.waitForElement($('welcome'), { timeout: 30_000 });
    await clean(session, 'l’accueil (choix)');
    await shot(session, 'welcome');
    await click(session, await session.find($('welcome-server')));
    await session.waitForElement($('welcome-url'));
    await clean(session, 'l’accueil (serveur)');
    await session.setValue(await session.find($('welcome-url')), 'http://127.0.0.1:9');
    await session.setValue(await session.find($('welcome-code')), 'CODE-INCONNU');
    await click(session, await session.find($('welcome-enroll')));
    await session.waitForElement($('welcome-enroll-error'), { timeout: 60_000 });
    await clean(session, 'l’accueil (serveur injoignable)');
    await shot(session, 'welcome-unreachable');
    await session.execute(
      `[...document.querySelectorAll('[data-testid="welcome-server-step"] button')].find((b) => b.textContent.trim() === 'Retour').click();`,
    );
    await click(session, await session.waitForElement($('welcome-offline')));
    await session.waitForElement($('welcome-offline-step'));
    await clean(session, 'l’accueil (hors ligne)');
    await click(session, await session.find($('welcome-next')));
    await session.waitForElement($('welcome-letterhead-step'));
    await clean(session, 'l’accueil (en-tête)');
    await shot(session, 'welcome-letterhead');
  });

  await step('damage the store', null, async () => {
    const db = path.join(DATA, 'preau.db');
    for (const side of ['-wal', '-shm']) rmSync(db + side, { force: true });
    writeFileSync(db, Buffer.from('abîmé par une coupure de courant. '.repeat(100)));
  });
  await withApp(step, 'start the app on the damaged store', async (session) => {
    await session.waitForElement($('recovery'), { timeout: 30_000 });
    await clean(session, 'la reprise (données endommagées)');
    await shot(session, 'recovery-damaged');
  });

  await step('a store whose key leaves the keyring', null, async () => {
    emptyDataDir();
    await cliIn(DATA, 'visits', 'create', '--commune', '80620', '--at', '2026-12-03T18:00');
    const attributes = ['service', 'fr.somme-numerique.preau', 'username', `store-key ${realpathSync(DATA)}`];
    execFileSync('secret-tool', ['clear', ...attributes]);
  });
  await withApp(step, 'start the app without the key', async (session) => {
    await session.waitForElement($('key-missing'), { timeout: 30_000 });
    await clean(session, 'la reprise (clé introuvable)');
    await click(session, await session.find($('start-over')));
    await session.waitForElement($('start-over-confirm'));
    await clean(session, 'la reprise (confirmation)');
    await shot(session, 'recovery-key-missing');
  });
  emptyDataDir();
}

async function main() {
  let visitId;
  try {
    await loadAxe();
    if (!(await driverReachable())) return;
    await startScreens();
    visitId = await step('import the example visit with preau-cli', null, () => importExampleVisit(DATA));
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up (npm ci in ui/ installs axe-core)', error);
    return;
  }
  await withApp(step, 'start the app', async (session) => {
    await session.waitForElement($('plan-visit-start'), { timeout: 30_000 });
    await clean(session, 'Accueil');
    await nav(session, 'nav-communes', $('search-input'));
    await clean(session, 'Communes');
    await (await session.find($('search-input'))).sendKeys('peronne');
    // Péronne's own hit: the first one may still be an earlier keystroke's.
    const hit = await session.waitForElement(`${$('search-result')}[data-insee="80620"]`);
    await click(session, hit);
    await session.waitForElement($('plan-visit-date'));
    await clean(session, 'la fiche de Péronne');
    await nav(session, 'nav-visits', $('visits-table'));
    await clean(session, 'Visites');
    await nav(session, 'nav-catalogue', `tr${$('catalogue-item')}`);
    await clean(session, 'Catalogue');
    await nav(session, 'nav-sync', $('sync-screen-state'));
    await clean(session, 'Synchronisation');
    await nav(session, 'nav-settings', $('settings-letterhead'));
    await clean(session, 'Réglages');
    await openVisit(session, visitId);
    for (const name of ['participants', 'projet', 'situation', 'equipements', 'financement', 'proposition']) {
      await gotoStep(session, name);
      await clean(session, `l’étape ${name}`);
    }
    await press(session, KEY.f5);
    await session.waitForElement(`${$('presentation')}[open]`);
    await clean(session, 'la présentation');
  });
}

await main();
finish();
