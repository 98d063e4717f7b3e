#!/usr/bin/env node
// End-to-end test of the visit stepper in the real app: import Péronne's schools with the
// CLI, plan a visit, tick two schools, write their pedagogical projects, describe their
// classes, build scenarios A and B with lines tied to objectives, check that a line
// serving no objective is flagged and that bad quantities are refused inline, then compare
// the totals on screen with `preau-cli visits plan --json` on the same data.
//
// Env: PREAU_APP (the built app), PREAU_CLI (the preau-cli binary), PREAU_DATA_DIR (the
// fresh data dir tauri-driver gives the app), TAURI_DRIVER_URL, PREAU_SCREENSHOTS
// (optional directory for screenshots).
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { newSession } from './webdriver.mjs';
import {
  $,
  assert,
  cliIn,
  click,
  driverReachable,
  fail,
  finish,
  FIXTURES,
  gotoStep,
  KEY,
  openVisit,
  press,
  shot,
  sleep,
  StopScenario,
  stepper,
  textContent,
  visitItem,
} from './tap.mjs';

// FIXTURES.visit, as if exported by another laptop with an older catalogue: one line at an
// older price, one line of an item the catalogue in use no longer has.
const OLD_CATALOGUE = 'demo-2025-ancien';
const OLD_PRICE_CENTS = 199000;

const APP = process.env.PREAU_APP;
const CLI = process.env.PREAU_CLI;
const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;

const COMMUNE = 'Péronne';
const SCHOOL_1 = 'Jean Jaurès';
const SCHOOL_2 = 'Louis Pasteur';

// Objectives: one typical (picked from the list) and one typed, per school.
const OBJECTIVES = {
  [SCHOOL_1]: { typical: 'Développer l’oral (s’enregistrer, s’écouter)', typed: 'Découvrir les écrans en grand groupe' },
  [SCHOOL_2]: { typical: 'Différencier les apprentissages', typed: 'Initier à la programmation avec des robots' },
};
const CLASSES = {
  [SCHOOL_1]: [{ name: 'PS-MS', pupils: '24', display: 'televiseur' }],
  [SCHOOL_2]: [
    { name: 'CP-CE1', pupils: '22', display: 'videoprojecteur' },
    { name: 'CM1-CM2', pupils: '25', display: 'aucun' },
  ],
};
// Lines per scenario: reference, school, quantity, objective (by label).
const SCENARIOS = {
  A: [
    { reference: 'ENI65', school: SCHOOL_1, quantity: '2', objective: OBJECTIVES[SCHOOL_1].typed },
    { reference: 'TABL', school: SCHOOL_2, quantity: '16', objective: OBJECTIVES[SCHOOL_2].typical },
    { reference: 'CHAR16', school: SCHOOL_2, quantity: '1', objective: OBJECTIVES[SCHOOL_2].typical },
  ],
  B: [
    { reference: 'ENI65', school: SCHOOL_1, quantity: '1', objective: OBJECTIVES[SCHOOL_1].typical },
    { reference: 'BEEPACK', school: SCHOOL_2, quantity: '1', objective: OBJECTIVES[SCHOOL_2].typed },
  ],
};

// French money exactly as the UI writes it (ui/src/lib/format.ts): U+202F between
// thousands, a comma, U+00A0 before « € », U+2212 for a negative amount.
function formatMoney(cents) {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const euros = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return `${negative ? '\u2212' : ''}${euros},${String(abs % 100).padStart(2, '0')}\u00a0€`;
}

/** Runs one step; a failed step stops the scenario (the next ones depend on it). */
const step = stepper({ prefix: 'wf-' });
const cli = (...args) => cliIn(DATA, ...args);

async function waitSaved(session, timeout = 10_000) {
  const status = await session.find($('save-status'));
  // Let a debounce start before waiting for its end.
  await sleep(50);
  await session.waitFor(async () => (await status.attribute('data-state')) === 'saved', {
    timeout,
    message: 'save-status data-state="saved"',
  });
  const text = await status.text();
  assert(text.includes('Enregistré'), `save-status text: ${JSON.stringify(text)}`);
}

async function waitState(session, expected, timeout = 10_000) {
  const status = await session.find($('save-status'));
  await session.waitFor(async () => (await status.attribute('data-state')) === expected, {
    timeout,
    message: `save-status data-state="${expected}"`,
  });
}

async function focusedTestid(session) {
  return session.execute('return document.activeElement && document.activeElement.dataset.testid || document.activeElement.id;');
}

/** The first element among `elements` whose text contains `text`. */
async function withText(elements, text) {
  for (const el of elements) {
    if ((await el.text()).includes(text)) return el;
  }
  return null;
}

async function typeInto(element, text) {
  await element.session.execute('arguments[0].scrollIntoView({ block: "center", inline: "nearest" });', [element]);
  await element.click();
  await element.clear();
  await element.sendKeys(text);
}

/** No horizontal scrolling in the main area, and the totals bar inside the window. */
async function checkLayout(session, where) {
  const m = await session.execute(`
    const main = document.getElementById('main');
    const steps = document.getElementById('visit-scroll');
    const totals = document.querySelector('[data-testid="totals"]');
    const r = totals ? totals.getBoundingClientRect() : null;
    return { scrollWidth: Math.max(main.scrollWidth, steps.scrollWidth), clientWidth: Math.min(main.clientWidth, steps.clientWidth),
             mainScroll: main.scrollTop, docScroll: document.documentElement.scrollTop,
             innerHeight: window.innerHeight, innerWidth: window.innerWidth, top: r && r.top, bottom: r && r.bottom };`);
  assert(m.scrollWidth <= m.clientWidth + 1, `${where}: horizontal overflow (${m.scrollWidth} > ${m.clientWidth})`);
  assert(m.mainScroll === 0 && m.docScroll === 0, `${where}: the window scrolled (main ${m.mainScroll}, document ${m.docScroll})`);
  assert(m.top !== null, `${where}: no totals panel`);
  assert(m.top >= 0 && m.bottom <= m.innerHeight + 1, `${where}: totals panel out of view (${m.top}–${m.bottom} in ${m.innerHeight})`);
  return m;
}

async function readTotals(session) {
  const read = async (id) => textContent(session, await session.find($(id)));
  return {
    ht: await read('totals-ht'),
    ttc: await read('totals-ttc'),
    aid: await read('totals-aid'),
    remaining: await read('totals-remaining-ttc'),
  };
}

async function projectSection(session, schoolName) {
  return session.waitFor(async () => withText(await session.findAll($('project-school')), schoolName), {
    message: `project section of ${schoolName}`,
  });
}

async function addLine(session, scenario, line, schools, { keyboard = false } = {}) {
  const before = (await session.findAll(`[data-step="equipements"] ${$('line-row')}`)).length;
  const search = await session.find($('catalogue-search'));
  await typeInto(search, line.reference);
  const picker = await session.findAll($('catalogue-school'));
  if (picker.length > 0) await session.select(picker[0], schools[line.school]);
  const item = await session.waitForElement(`${$('catalogue-item')}[data-reference="${line.reference}"]`);
  if (keyboard) {
    await session.execute('arguments[0].focus();', [search]);
    await press(session, KEY.enter);
  } else {
    await click(session, item);
  }
  const rows = await session.waitFor(
    async () => {
      const found = await session.findAll(`[data-step="equipements"] ${$('line-row')}`);
      return found.length === before + 1 ? found : null;
    },
    { message: `${before + 1} line rows in scenario ${scenario}` },
  );
  const row = rows[before];
  assert((await row.attribute('data-reference')) === line.reference, `new row is ${await row.attribute('data-reference')}`);
  return row;
}

async function firstRun(schools) {
  const session = await step('start the app', null, () => newSession(APP));
  const displayed = {};
  let visitId = null;
  try {
    await step('open Péronne and plan a visit', session, async () => {
      await session.waitForElement($('nav-communes'), { timeout: 30_000 });
      await (await session.find($('nav-communes'))).click();
      const input = await session.waitForElement($('search-input'));
      await input.sendKeys('peronne');
      const hit = await session.waitFor(async () => withText(await session.findAll($('search-result')), COMMUNE), {
        message: 'search result Péronne',
      });
      await hit.click();
      await session.waitForElement($('plan-visit-date'));
      await session.setValue(await session.find($('plan-visit-date')), '2026-12-10');
      await session.setValue(await session.find($('plan-visit-time')), '18:00');
      await (await session.find($('plan-visit-submit'))).click();
      await session.waitForElement($('visit-header'));
      const url = await session.url();
      visitId = decodeURIComponent(url.split('#/visites/')[1] ?? '');
      assert(visitId.length > 10, `visit id from ${url}`);
    });

    await step('the stepper offers every step, « Proposition » included', session, async () => {
      for (const name of ['participants', 'projet', 'situation', 'equipements', 'financement', 'proposition']) {
        const button = await session.find($(`step-${name}`));
        assert((await button.property('disabled')) === false, `step ${name} is disabled`);
      }
    });

    await step('with no school ticked, the project step says so and links to Participants', session, async () => {
      await gotoStep(session, 'projet');
      const notice = await session.waitForElement(`[data-step="projet"] ${$('no-schools')}`);
      assert((await notice.text()).includes('Aucune école'), 'no-schools notice text');
      await (await notice.find($('goto-participants'))).click();
      await session.waitFor(
        async () => (await session.execute(`return !document.querySelector('[data-step="participants"]').hidden`)) === true,
        { message: 'back on Participants' },
      );
    });
    await shot(session, 'participants', 'wf-');

    await step('tick two schools on the Participants step', session, async () => {
      const checks = await session.waitFor(
        async () => {
          const found = await session.findAll($('school-check'));
          return found.length === 3 ? found : null;
        },
        { message: '3 school-check boxes (Péronne)' },
      );
      for (const check of checks) {
        const label = await session.execute('return arguments[0].closest("label").textContent', [check]);
        if (label.includes(SCHOOL_1) || label.includes(SCHOOL_2)) await check.click();
      }
      await waitSaved(session);
    });

    await step('write both schools’ projects: a typical objective and a typed one each', session, async () => {
      await gotoStep(session, 'projet');
      for (const school of [SCHOOL_1, SCHOOL_2]) {
        const section = await projectSection(session, school);
        const chip = await withText(await section.findAll($('objective-typical')), OBJECTIVES[school].typical);
        assert(chip, `typical objective « ${OBJECTIVES[school].typical} » offered for ${school}`);
        await click(session, chip);
        await session.waitFor(async () => (await section.findAll($('objective-row'))).length === 1, { message: '1 objective' });
        const input = await section.find($('objective-input'));
        await typeInto(input, OBJECTIVES[school].typed);
        await click(session, await section.find($('objective-add')));
        await session.waitFor(async () => (await section.findAll($('objective-row'))).length === 2, { message: '2 objectives' });
        assert((await input.value()) === '', 'the objective input is emptied after adding');
        const cycle = (await section.findAll($('project-cycle')))[school === SCHOOL_1 ? 0 : 1];
        await click(session, cycle);
      }
      await waitSaved(session);
      await checkLayout(session, 'project step');
    });
    await shot(session, 'project', 'wf-');

    await step('describe the classes of both schools', session, async () => {
      await gotoStep(session, 'situation');
      for (const school of [SCHOOL_1, SCHOOL_2]) {
        const section = await session.waitFor(async () => withText(await session.findAll($('situation-school')), school), {
          message: `situation of ${school}`,
        });
        for (const [i, c] of CLASSES[school].entries()) {
          await click(session, await section.find($('class-add')));
          const rows = await session.waitFor(
            async () => {
              const found = await section.findAll($('class-row'));
              return found.length === i + 1 ? found : null;
            },
            { message: `${i + 1} class rows` },
          );
          const row = rows[i];
          await typeInto(await row.find($('class-name')), c.name);
          await typeInto(await row.find($('class-pupils')), c.pupils);
          await session.select(await row.find($('class-display')), c.display);
        }
      }
      await waitSaved(session);
      await checkLayout(session, 'situation step');
    });
    await shot(session, 'situation', 'wf-');

    await step('a pupils count that is not a number is refused inline', session, async () => {
      const section = await withText(await session.findAll($('situation-school')), SCHOOL_1);
      const pupils = await (await section.findAll($('class-pupils')))[0];
      await typeInto(pupils, 'vingt');
      await waitState(session, 'error');
      assert((await pupils.attribute('aria-invalid')) === 'true', 'aria-invalid on the pupils input');
      await typeInto(pupils, '24');
      await waitSaved(session);
    });

    await step('create scenario A', session, async () => {
      await gotoStep(session, 'equipements');
      await click(session, await session.find($('scenario-add')));
      await session.waitForElement(`${$('scenario-tab')}[data-label="A"][aria-pressed="true"]`);
      await waitSaved(session);
      const indicative = await session.findAll($('picker-indicative'));
      assert(indicative.length === 1 && (await indicative[0].text()).includes('Prix indicatifs'), 'the picker says « Prix indicatifs »');
    });

    await step('a new line serves no objective: it is flagged « Non justifié » and counted', session, async () => {
      const line = SCENARIOS.A[0];
      const row = await addLine(session, 'A', line, schools);
      const flag = await session.waitFor(async () => (await row.findAll($('line-unjustified')))[0], {
        message: 'line-unjustified on the new line',
      });
      const text = await flag.text();
      assert(text.includes('Non justifié') && text.includes('préalable'), `flag text: ${JSON.stringify(text)}`);
      const count = await session.waitForElement($('unjustified-count'));
      assert((await count.text()).includes('1'), `unjustified count: ${await count.text()}`);
    });
    await shot(session, 'line-unjustified', 'wf-');

    await step('quantities « 0 » and « abc » are refused inline with a French message', session, async () => {
      const row = (await session.findAll(`[data-step="equipements"] ${$('line-row')}`))[0];
      const quantity = await row.find($('line-quantity'));
      for (const [typed, expected] of [
        ['0', /au moins 1/],
        ['abc', /nombre entier/],
      ]) {
        await typeInto(quantity, typed);
        const error = await session.waitFor(async () => (await row.findAll($('line-quantity-error')))[0], {
          message: `inline error for « ${typed} »`,
        });
        await session.waitFor(async () => expected.test(await error.text()), { message: `message matching ${expected}` });
        assert((await quantity.attribute('aria-invalid')) === 'true', 'aria-invalid on the quantity');
        await waitState(session, 'error');
        console.log(`  « ${typed} »: ${(await error.text()).trim()}`);
      }
      await shot(session, 'quantity-refused', 'wf-');
      await typeInto(quantity, SCENARIOS.A[0].quantity);
      await waitSaved(session);
      await session.waitFor(async () => (await row.findAll($('line-quantity-error'))).length === 0, { message: 'error gone' });
    });

    await step('ticking an objective justifies the line', session, async () => {
      const row = (await session.findAll(`[data-step="equipements"] ${$('line-row')}`))[0];
      const box = await withObjective(session, row, SCENARIOS.A[0].objective);
      await click(session, box);
      await waitSaved(session);
      await session.waitFor(async () => (await row.findAll($('line-unjustified'))).length === 0, { message: 'flag gone' });
      await session.waitFor(async () => (await session.findAll($('unjustified-count'))).length === 0, { message: 'count gone' });
    });

    await step('the other lines of scenario A, each tied to an objective', session, async () => {
      for (const line of SCENARIOS.A.slice(1)) await fillLine(session, 'A', line, schools);
      await waitSaved(session);
      const rows = await session.findAll(`[data-step="equipements"] ${$('line-row')}`);
      assert(rows.length === 3, `${rows.length} lines in A`);
    });

    await step('the totals panel stays in view while editing the last line', session, async () => {
      const rows = await session.findAll(`[data-step="equipements"] ${$('line-row')}`);
      const last = await rows[rows.length - 1].find($('line-quantity'));
      await session.execute('arguments[0].scrollIntoView({ block: "center" }); arguments[0].focus();', [last]);
      await checkLayout(session, 'equipment step, last line');
      const covered = await session.execute(`
        const q = arguments[0].getBoundingClientRect();
        const t = document.querySelector('[data-testid="totals"]').getBoundingClientRect();
        return q.bottom > t.top;`, [last]);
      assert(!covered, 'the totals panel covers the line being edited');
    });
    await shot(session, 'scenario-a', 'wf-');

    await step('suggestions of the socle are listed with their reason; one is set aside', session, async () => {
      await click(session, await session.find($('suggestions-load')));
      const items = await session.waitFor(
        async () => {
          const found = await session.findAll($('suggestion'));
          return found.length > 0 ? found : null;
        },
        { message: 'some suggestions' },
      );
      await session.execute('arguments[0].scrollIntoView({ block: "center" });', [items[0]]);
      await shot(session, 'suggestions', 'wf-');
      const first = await items[0].text();
      assert(first.includes('socle') || first.includes('Classe') || first.includes(':'), `suggestion text: ${first}`);
      await click(session, await items[0].find($('suggestion-dismiss')));
      await session.waitFor(async () => (await session.findAll($('suggestion'))).length === items.length - 1, {
        message: 'one suggestion fewer',
      });
    });

    await step('the stepper works from the keyboard, focus going to the step shown', session, async () => {
      for (const name of ['situation', 'equipements']) {
        await session.execute('arguments[0].focus();', [await session.find($(`step-${name}`))]);
        await press(session, KEY.enter);
        await session.waitFor(
          async () => (await session.execute(`return !document.querySelector('[data-step="${name}"]').hidden`)) === true,
          { message: `step ${name} shown` },
        );
        // The focus goes into the step shown: on what one does first there, else its title.
        const inside = await session.execute(`return !!document.activeElement.closest('[data-step="${name}"]');`);
        assert(inside, `focus after choosing ${name}: ${await focusedTestid(session)}`);
      }
    });

    await step('create scenario B and its lines (the first one from the keyboard)', session, async () => {
      await click(session, await session.find($('scenario-add')));
      await session.waitForElement(`${$('scenario-tab')}[data-label="B"][aria-pressed="true"]`);
      await session.waitFor(async () => (await session.findAll(`[data-step="equipements"] ${$('line-row')}`)).length === 0, {
        message: 'scenario B starts empty',
      });
      for (const [i, line] of SCENARIOS.B.entries()) await fillLine(session, 'B', line, schools, { keyboard: i === 0 });
      await waitSaved(session);
      const title = await session.find($('scenario-title'));
      await typeInto(title, 'Équipement progressif');
      await waitSaved(session);
    });

    await step('a third scenario is the last one; deleting it asks first', session, async () => {
      await click(session, await session.find($('scenario-add')));
      await session.waitForElement(`${$('scenario-tab')}[data-label="C"][aria-pressed="true"]`);
      const add = await session.find($('scenario-add'));
      await session.waitFor(async () => (await add.property('disabled')) === true, { message: 'no fourth scenario' });
      await click(session, await session.find($('scenario-delete')));
      const confirm = await session.waitForElement($('scenario-delete-confirm'));
      assert((await session.findAll($('scenario-tab'))).length === 3, 'nothing deleted before confirming');
      await click(session, confirm);
      await session.waitFor(async () => (await session.findAll($('scenario-tab'))).length === 2, { message: '2 scenarios left' });
      await waitSaved(session);
    });

    await step('read the totals of each scenario', session, async () => {
      for (const label of ['A', 'B']) {
        await (await session.find(`${$('scenario-tab')}[data-label="${label}"]`)).click();
        await session.waitForElement(`${$('totals-scenario')}[data-label="${label}"]`);
        const rows = await session.findAll(`[data-step="equipements"] ${$('line-row')}`);
        assert(rows.length === SCENARIOS[label].length, `scenario ${label}: ${rows.length} lines`);
        displayed[label] = await readTotals(session);
        console.log(`  ${label}: ${JSON.stringify(displayed[label])}`);
        for (const [k, v] of Object.entries(displayed[label])) {
          assert(/^−?\d{1,3}(\u202f\d{3})*,\d{2}\u00a0€$/.test(v), `${label}.${k} is not French money: ${JSON.stringify(v)}`);
        }
      }
      const flag = await session.findAll($('totals-aid-flag'));
      if (flag.length > 0) assert((await flag[0].text()).includes('à vérifier'), 'aid flag says « à vérifier »');
    });
    await shot(session, 'scenario-b', 'wf-');

    await step('the comparison shows both scenarios side by side', session, async () => {
      await click(session, await session.find($('scenario-compare')));
      const cells = await session.waitFor(
        async () => {
          const found = await session.findAll(`[data-step="equipements"] ${$('compare-remaining-ttc')}`);
          return found.length === 2 ? found : null;
        },
        { message: '2 comparison columns' },
      );
      for (const cell of cells) {
        const label = await cell.attribute('data-label');
        const text = await textContent(session, cell);
        assert(text.includes(displayed[label].remaining), `comparison ${label}: ${text} vs ${displayed[label].remaining}`);
      }
    });
    await shot(session, 'comparison', 'wf-');

    await step('the Financement step details the plan of the current scenario', session, async () => {
      await gotoStep(session, 'financement');
      const planEl = await session.waitForElement($('funding-plan'));
      const label = await planEl.attribute('data-label');
      const remaining = await textContent(session, await session.find($('plan-remaining-ttc')));
      assert(remaining === displayed[label].remaining, `plan remaining ${remaining} vs totals ${displayed[label].remaining}`);
      const aids = await session.findAll($('plan-aid'));
      const na = await session.findAll($('plan-not-applicable'));
      assert(aids.length + na.length > 0, 'no programme listed');
      await checkLayout(session, 'funding step');
      await shot(session, 'funding', 'wf-');
      const first = aids[0] ?? na[0];
      await session.execute('arguments[0].scrollIntoView({ block: "center" });', [first]);
      await shot(session, 'funding-not-applicable', 'wf-');
    });

    await step('scenario A is funded: each aid with its base, rate, amount, status and explanation', session, async () => {
      await click(session, await session.find(`${$('funding-scenario-tab')}[data-label="A"]`));
      await session.waitForElement(`${$('funding-plan')}[data-label="A"]`);
      const aids = await session.waitFor(
        async () => {
          const found = await session.findAll($('plan-aid'));
          return found.length > 0 ? found : null;
        },
        { message: 'aid lines for scenario A' },
      );
      const text = await textContent(session, aids[0]);
      assert(/%/.test(text) && /€/.test(text), `aid line: ${JSON.stringify(text)}`);
      assert(text.includes('à vérifier'), `aid line status: ${JSON.stringify(text)}`);
      assert((await textContent(session, await session.find($('totals-aid')))) === displayed.A.aid, 'totals follow the scenario chosen here');
      await session.execute('arguments[0].scrollIntoView({ block: "center" });', [aids[0]]);
      await shot(session, 'funding-aids', 'wf-');
    });

    await step('removing an objective a line serves asks first, then the line is « non justifié »', session, async () => {
      await gotoStep(session, 'projet');
      const section = await projectSection(session, SCHOOL_1);
      let target = null;
      for (const row of await section.findAll($('objective-row'))) {
        if ((await (await row.find($('objective-label'))).value()) === OBJECTIVES[SCHOOL_1].typed) target = row;
      }
      assert(target, 'objective row to remove');
      await click(session, await target.find($('objective-remove')));
      const warning = await session.waitFor(async () => (await target.findAll('[role="alertdialog"]'))[0], { message: 'confirmation' });
      assert((await warning.text()).includes('non justifiée'), `confirmation text: ${await warning.text()}`);
      await click(session, await warning.find('.btn-danger'));
      await session.waitFor(async () => (await section.findAll($('objective-row'))).length === 1, { message: '1 objective left' });
      await waitSaved(session);
      await gotoStep(session, 'equipements');
      await click(session, await session.find(`${$('scenario-tab')}[data-label="A"]`));
      const row = await session.waitForElement(`[data-step="equipements"] ${$('line-row')}[data-reference="ENI65"]`);
      await session.waitFor(async () => (await row.findAll($('line-unjustified'))).length === 1, { message: 'ENI65 flagged' });
      const count = await session.waitForElement($('unjustified-count'));
      assert((await count.text()).includes('1'), `unjustified count: ${await count.text()}`);
      await shot(session, 'objective-removed', 'wf-');
    });
  } finally {
    await session.delete().catch((error) => console.log(`  (delete session: ${error.message})`));
  }
  return { visitId, displayed };
}

async function withObjective(session, row, label) {
  return session.waitFor(
    async () => {
      for (const box of await row.findAll($('line-objective'))) {
        const text = await session.execute('return arguments[0].closest("label").textContent', [box]);
        if (text.includes(label)) return box;
      }
      return null;
    },
    { message: `objective « ${label} » on the line` },
  );
}

async function fillLine(session, scenario, line, schools, { keyboard = false } = {}) {
  const row = await addLine(session, scenario, line, schools, { keyboard });
  if (keyboard) {
    // Entrée in the search added the line; its quantity has the focus, selected.
    await session.waitFor(async () => (await focusedTestid(session)) === 'line-quantity', { message: 'focus on the new quantity' });
    await press(session, ...line.quantity.split(''));
  } else {
    await typeInto(await row.find($('line-quantity')), line.quantity);
  }
  await click(session, await withObjective(session, row, line.objective));
  await waitSaved(session);
  await session.waitFor(async () => (await row.findAll($('line-unjustified'))).length === 0, {
    message: `${line.reference} justified`,
  });
}

async function compareWithCli(visitId, displayed) {
  await step('the totals on screen are those of `preau-cli visits plan --json`', null, async () => {
    const plans = JSON.parse(await cli('visits', 'plan', visitId, '--json'));
    assert(plans.length === 2, `${plans.length} scenarios from the CLI`);
    for (const { scenario, plan } of plans) {
      const shown = displayed[scenario.label];
      assert(shown, `scenario ${scenario.label} not read on screen`);
      const expected = {
        ht: formatMoney(plan.total_ht_cents),
        ttc: formatMoney(plan.total_ttc_cents),
        aid: formatMoney(plan.total_aid_cents),
        remaining: formatMoney(plan.remaining_ttc_cents),
      };
      for (const key of Object.keys(expected)) {
        assert(shown[key] === expected[key], `scenario ${scenario.label} ${key}: screen ${JSON.stringify(shown[key])}, CLI ${JSON.stringify(expected[key])}`);
      }
      assert(plan.total_ht_cents > 0, `scenario ${scenario.label} has no amount`);
      console.log(`  ${scenario.label}: HT ${expected.ht}, TTC ${expected.ttc}, aides ${expected.aid}, reste TTC ${expected.remaining}`);
    }
    const a = plans.find((p) => p.scenario.label === 'A').plan;
    // ENI65 ×2 + TABL ×16 + CHAR16 ×1 at the demo catalogue's prices.
    assert(a.total_ht_cents > 500000, `scenario A HT ${a.total_ht_cents}`);
    const b = plans.find((p) => p.scenario.label === 'B');
    assert(b.scenario.title === 'Équipement progressif', `scenario B title ${JSON.stringify(b.scenario.title)}`);
  });
}

async function secondRun(visitId, displayed, imported) {
  let repriced = null;
  await sleep(1_500);
  const session = await step('restart the app on the same data', null, () => newSession(APP));
  try {
    await step('the visit comes back with its lines and the same totals', session, async () => {
      await session.waitForElement($('nav-visits'), { timeout: 30_000 });
      await (await session.find($('nav-visits'))).click();
      const item = await session.waitForElement(visitItem(visitId));
      assert((await item.text()).includes(COMMUNE), `visit link text: ${await item.text()}`);
      await click(session, item);
      await session.waitForElement($('visit-header'));
      await gotoStep(session, 'equipements');
      for (const label of ['A', 'B']) {
        await (await session.waitForElement(`${$('scenario-tab')}[data-label="${label}"]`)).click();
        await session.waitForElement(`${$('totals-scenario')}[data-label="${label}"]`);
        const rows = await session.findAll(`[data-step="equipements"] ${$('line-row')}`);
        assert(rows.length === SCENARIOS[label].length, `scenario ${label}: ${rows.length} lines after restart`);
        const totals = await readTotals(session);
        assert(JSON.stringify(totals) === JSON.stringify(displayed[label]), `scenario ${label}: ${JSON.stringify(totals)} vs ${JSON.stringify(displayed[label])}`);
        const quantities = [];
        for (const row of rows) quantities.push(await (await row.find($('line-quantity'))).value());
        assert(
          JSON.stringify(quantities) === JSON.stringify(SCENARIOS[label].map((l) => l.quantity)),
          `scenario ${label} quantities ${JSON.stringify(quantities)}`,
        );
      }
    });
    await shot(session, 'after-restart', 'wf-');

    await step('a line at an older catalogue price says so and is repriced only when asked', session, async () => {
      await openVisit(session, imported.id);
      await gotoStep(session, 'equipements');
      await click(session, await session.waitForElement(`${$('scenario-tab')}[data-label="A"]`));
      const row = await session.waitForElement(`${$('line-row')}[data-id="${imported.reference}"]`);
      const notice = await row.find($('line-price-notice'));
      const text = await textContent(session, notice);
      assert(text.includes(`Catalogue plus récent\u00a0: ${formatMoney(220000)}`), `price notice: ${JSON.stringify(text)}`);
      assert((await textContent(session, await row.find($('line-unit-price')))) === formatMoney(OLD_PRICE_CENTS), 'the old price is kept until asked');
      const withdrawn = await session.waitForElement(`${$('line-row')}[data-reference="TABL-2019"]`);
      assert((await textContent(session, await withdrawn.find($('line-price-notice')))).includes('Retiré du catalogue'), 'withdrawn notice');
      assert((await withdrawn.findAll($('line-reprice'))).length === 0, 'no reprice for a withdrawn item');
      await session.execute('arguments[0].scrollIntoView({ block: "center" });', [row]);
      await shot(session, 'price-notice', 'wf-');
      const before = await readTotals(session);
      await click(session, await row.find($('line-reprice')));
      await session.waitFor(async () => (await row.findAll($('line-price-notice'))).length === 0, { message: 'notice gone' });
      await waitSaved(session);
      assert((await textContent(session, await row.find($('line-unit-price')))) === formatMoney(220000), 'new price taken');
      repriced = await readTotals(session);
      assert(repriced.ht !== before.ht, `totals follow the new price (${before.ht} → ${repriced.ht})`);
    });

    await step('the imported visit’s project and situation are shown as they were written', session, async () => {
      await gotoStep(session, 'projet');
      const status = await session.waitForElement($('project-ien-status'));
      const statuses = [];
      for (const select of await session.findAll($('project-ien-status'))) statuses.push(await select.value());
      assert(statuses.includes('soumis'), `IEN statuses: ${statuses}`);
      assert(status, 'IEN status select');
      await shot(session, 'imported-project', 'wf-');
      await gotoStep(session, 'situation');
      await session.waitFor(async () => (await session.findAll($('class-row'))).length > 0, { message: 'classes of the imported visit' });
      await shot(session, 'imported-situation', 'wf-');
      await gotoStep(session, 'financement');
      await shot(session, 'imported-funding', 'wf-');
    });
  } finally {
    await session.delete().catch((error) => console.log(`  (delete session: ${error.message})`));
  }

  await step('after repricing, the totals on screen are still those of preau-cli', null, async () => {
    const plans = JSON.parse(await cli('visits', 'plan', imported.id, '--json'));
    const plan = plans.find((p) => p.scenario.label === 'A').plan;
    for (const [key, cents] of [
      ['ht', plan.total_ht_cents],
      ['ttc', plan.total_ttc_cents],
      ['aid', plan.total_aid_cents],
      ['remaining', plan.remaining_ttc_cents],
    ]) {
      assert(repriced[key] === formatMoney(cents), `${key}: screen ${repriced[key]}, CLI ${formatMoney(cents)}`);
    }
  });
}

async function main() {
  for (const [name, value] of [
    ['PREAU_APP', APP],
    ['PREAU_CLI', CLI],
    ['PREAU_DATA_DIR', DATA],
  ]) {
    if (!value) {
      fail('configuration', new Error(`${name} is not set`));
      return;
    }
  }
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  const schools = {};
  let imported = null;
  try {
    await step('import the schools fixture with preau-cli', null, async () => {
      const out = await cli('schools', 'import', FIXTURES.schools);
      console.log(`  ${out.trim()}`);
      const list = await cli('schools', 'list', '80620');
      for (const line of list.trim().split('\n')) {
        const [id, , name] = line.split('\t');
        for (const wanted of [SCHOOL_1, SCHOOL_2]) if (name.includes(wanted)) schools[wanted] = id;
      }
      assert(list.trim().split('\n').length === 3, `Péronne has ${list.trim().split('\n').length} schools`);
      assert(schools[SCHOOL_1] && schools[SCHOOL_2], `schools found: ${JSON.stringify(schools)}`);
    });
    imported = await step('import a visit priced with an older catalogue (preau-cli visits import)', null, async () => {
      const doc = JSON.parse(await readFile(FIXTURES.visit, 'utf8'));
      const lines = doc.scenarios[0].lines;
      const older = lines.find((l) => l.reference === 'ENI65');
      older.catalogue_version = OLD_CATALOGUE;
      older.unit_price_cents = OLD_PRICE_CENTS;
      const gone = lines.find((l) => l.reference === 'TABL');
      gone.catalogue_version = OLD_CATALOGUE;
      gone.reference = 'TABL-2019';
      gone.designation = 'Tablette élève 9" (modèle 2019)';
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'preau-e2e-')), 'visite.json');
      await writeFile(file, JSON.stringify(doc, null, 2));
      const id = (await cli('visits', 'import', file)).trim();
      assert(id === doc.visit.id, `imported visit id ${id}`);
      return { id, reference: older.id };
    });
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('unexpected error', error);
    return;
  }
  if (!(await driverReachable())) return;
  try {
    const { visitId, displayed } = await firstRun(schools);
    await compareWithCli(visitId, displayed);
    await secondRun(visitId, displayed, imported);
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('unexpected error', error);
  }
}

await main();
finish();
