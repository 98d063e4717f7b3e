#!/usr/bin/env node
// Accessibility of every screen in the real window: axe-core (npm, ui/node_modules,
// injected through WebDriver) audits each screen, each step of a visit and the
// presentation against WCAG 2.1 A and AA; any violation, of any impact, fails the screen
// with its rule and elements.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import {
  $,
  assert,
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

async function nav(session, testid, ready) {
  await click(session, await session.waitForElement($(testid), { timeout: 30_000 }));
  await session.waitForElement(ready, { timeout: 20_000 });
}

async function main() {
  let visitId;
  try {
    await loadAxe();
    visitId = await step('import the example visit with preau-cli', null, () => importExampleVisit(DATA));
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up (npm ci in ui/ installs axe-core)', error);
    return;
  }
  if (!(await driverReachable())) return;
  await withApp(step, 'start the app', async (session) => {
    await session.waitForElement($('plan-visit-start'), { timeout: 30_000 });
    await clean(session, 'Accueil');
    await nav(session, 'nav-communes', $('search-input'));
    await clean(session, 'Communes');
    await (await session.find($('search-input'))).sendKeys('peronne');
    const hit = await session.waitForElement($('search-result'));
    await click(session, hit);
    await session.waitForElement($('plan-visit-date'));
    await clean(session, 'la fiche de Péronne');
    await nav(session, 'nav-visits', $('visits-table'));
    await clean(session, 'Visites');
    await nav(session, 'nav-catalogue', 'table');
    await clean(session, 'Catalogue');
    await nav(session, 'nav-sync', 'h1');
    await clean(session, 'Synchronisation');
    await nav(session, 'nav-settings', 'h1');
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
