#!/usr/bin/env node
// The small traps of issue 14, in the real window (their rules have vitest tests too):
// the only school of a commune is ticked when its visit is planned; a second participant
// does not start as « Maire »; « tablette » then Entrée in the catalogue adds the tablet
// (the item marked « Entrée »), not its protective case; « Ajouté : … » goes when its line
// is deleted (here with Alt+Suppr); Échap on the « supprimer le scénario » question cancels
// it. And messages never move the stepper: the export's message and a refused quantity
// leave it where it was.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, PREAU_SAVE_DIR, TAURI_DRIVER_URL,
// PREAU_SCREENSHOTS (optional).
import {
  $,
  assert,
  chord,
  cliIn,
  click,
  finish,
  FIXTURES,
  freshShot,
  gotoStep,
  KEY,
  press,
  setUpThenApp,
  stepper,
} from './tap.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const shot = (session, name) => freshShot(session, name, 'traps-');
const step = stepper({ prefix: 'traps-', screenshot: shot });
const cli = (...args) => cliIn(DATA, ...args);

/** The stepper's place in the window (its top, to the pixel). */
function stepperTop(session) {
  return session.execute('return Math.round(document.querySelector(\'nav[aria-label="Étapes de la visite"]\').getBoundingClientRect().top);');
}

async function waitState(session, expected) {
  const status = await session.find($('save-status'));
  await session.waitFor(async () => (await status.attribute('data-state')) === expected, {
    timeout: 15_000,
    message: `save-status ${expected}`,
  });
}

async function setUp() {
  await cli('schools', 'import', FIXTURES.schools);
  const [code] = (await cli('communes', 'search', 'Doingt', '--limit', '1')).trim().split('\t');
  const schools = (await cli('schools', 'list', code)).trim().split('\n');
  assert(schools.length === 1, `Doingt: ${schools.length} schools`);
  return code;
}

async function main() {
  await setUpThenApp(step, 'schools imported; Doingt has one school', setUp, scenario);
}

async function scenario(session, insee) {
  await step('a visit planned in Doingt starts with its only school ticked', session, async () => {
    await session.waitForElement($('nav-home'), { timeout: 30_000 });
    await session.execute(`location.hash = '#/communes/${insee}'`);
    await click(session, await session.waitForElement($('plan-visit-submit'), { timeout: 20_000 }));
    await session.waitForElement($('visit-header'), { timeout: 20_000 });
    const checks = await session.waitFor(async () => {
      const found = await session.findAll($('school-check'));
      return found.length > 0 ? found : null;
    });
    assert(checks.length === 1, `${checks.length} schools offered`);
    assert((await checks[0].property('checked')) === true, 'the only school is ticked');
  });

  await step('the second participant does not start as « Maire »', session, async () => {
    for (let i = 0; i < 2; i += 1) {
      await click(session, await session.find($('add-participant')));
      await session.waitFor(async () => (await session.findAll($('participant-row'))).length === i + 1);
    }
    const roles = await session.execute(
      'return [...document.querySelectorAll(\'[data-testid="participant-role"]\')].map((s) => s.value);',
    );
    assert(roles[0] === 'maire', `first: ${roles[0]}`);
    assert(roles[1] !== 'maire', `second: ${roles[1]}`);
  });
  await shot(session, 'participants');

  await step('the export’s message does not move the stepper', session, async () => {
    const before = await stepperTop(session);
    await click(session, await session.find($('visit-export')));
    const message = await session.waitForElement($('visit-export-result'), { timeout: 20_000 });
    assert((await message.attribute('role')) === 'status', 'the message is said');
    const after = await stepperTop(session);
    assert(after === before, `the stepper moved from ${before} to ${after} px`);
    await shot(session, 'export-message');
    await click(session, await message.find('button'));
  });

  await step('« tablette » then Entrée adds the tablet, the item marked « Entrée »', session, async () => {
    await gotoStep(session, 'equipements');
    await click(session, await session.find($('scenario-add')));
    await session.waitForElement(`${$('scenario-tab')}[data-label="A"][aria-pressed="true"]`);
    // The new scenario's catalogue search has the focus.
    await session.waitFor(() => session.execute('return document.activeElement.dataset.testid === "catalogue-search";'), {
      message: 'focus on the catalogue search',
    });
    await (await session.find($('catalogue-search'))).sendKeys('tablette');
    const marked = await session.waitForElement(`${$('catalogue-item')}[data-enter="true"]`);
    assert((await marked.attribute('data-reference')) === 'TABL', `marked: ${await marked.attribute('data-reference')}`);
    await shot(session, 'catalogue-enter');
    await press(session, KEY.enter);
    const row = await session.waitForElement(`[data-step="equipements"] ${$('line-row')}`);
    assert((await row.attribute('data-reference')) === 'TABL', `added: ${await row.attribute('data-reference')}`);
    await session.waitForElement($('catalogue-added'));
  });

  await step('a refused quantity does not move the stepper', session, async () => {
    const before = await stepperTop(session);
    const quantity = await session.find($('line-quantity'));
    await quantity.clear();
    await quantity.sendKeys('beaucoup trop de tablettes pour cette école');
    await waitState(session, 'error');
    const after = await stepperTop(session);
    await shot(session, 'quantity-refused');
    assert(after === before, `the stepper moved from ${before} to ${after} px`);
    await quantity.clear();
    await quantity.sendKeys('2');
    await waitState(session, 'saved');
  });

  await step('Alt+Suppr deletes the line, and « Ajouté : … » goes with it', session, async () => {
    await session.execute('document.querySelector(\'[data-testid="line-quantity"]\').focus();');
    await chord(session, KEY.alt, '\uE017');
    await session.waitFor(async () => (await session.findAll(`[data-step="equipements"] ${$('line-row')}`)).length === 0, {
      message: 'the line deleted',
    });
    await session.waitFor(async () => (await session.findAll($('catalogue-added'))).length === 0, { message: '« Ajouté » gone' });
    const focused = await session.execute('return document.activeElement.dataset.testid;');
    assert(focused === 'catalogue-search', `focus after the delete: ${focused}`);
  });

  await step('Échap on « Supprimer le scénario A ? » cancels it', session, async () => {
    await click(session, await session.find($('scenario-delete')));
    await session.waitForElement($('scenario-delete-confirm'));
    await press(session, KEY.escape);
    await session.waitFor(async () => (await session.findAll($('scenario-delete-confirm'))).length === 0, {
      message: 'the question closed',
    });
    assert((await session.findAll($('scenario-tab'))).length === 1, 'scenario A still there');
    const focused = await session.execute('return document.activeElement.dataset.testid;');
    assert(focused === 'scenario-delete', `focus after Échap: ${focused}`);
  });
  await shot(session, 'escaped');
}

await main();
finish();
