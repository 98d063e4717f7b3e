#!/usr/bin/env node
// The keyboard-only visit in the real app: from the commune sheet's « Planifier une visite »
// to the end of scenario A, with no click and no script poking the page: the plan form,
// two participants, two schools ticked, both schools' projects (a typical objective, a
// typed one, a cycle), three classes, scenario A and its three lines (school, quantity,
// objective). Every Tab, Shift+Tab and other key is counted and printed per stretch, then
// the totals; the figures go in the README (issue 14: at most 40 Tabs to the end of
// scenario A; 127 before its work). The data is the workflow test's; the totals on screen
// are compared with `preau-cli visits plan --json` at the end.
//
// How a stretch is walked: `tabTo(selector)` presses Tab (or Shift+Tab) one at a time until
// the focused element matches, as a user looks at the focus ring before pressing again.
// A key a user would not press on purpose (a step's title reached after its shortcut) is not
// walked: every press is sent to the window and counted.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import {
  $,
  assert,
  chord,
  cliIn,
  finish,
  FIXTURES,
  freshShot,
  KEY,
  setUpThenApp,
  stepper,
  textContent,
} from './tap.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const shot = (session, name) => freshShot(session, name, 'kbd-');
const step = stepper({ prefix: 'kbd-', screenshot: shot });
const cli = (...args) => cliIn(DATA, ...args);

const SCHOOL_1 = 'Jean Jaurès';
const SCHOOL_2 = 'Louis Pasteur';
const PARTICIPANTS = [
  { name: 'Jean Dupont', role: 'Maire', phone: '03 22 84 00 00' },
  { name: 'Claire Martin', role: 'Directeur / directrice d’école' },
];
const OBJECTIVES = {
  [SCHOOL_1]: { typical: 'Développer l’oral (s’enregistrer, s’écouter)', typed: 'Découvrir les écrans en grand groupe', cycle: 1 },
  [SCHOOL_2]: { typical: 'Différencier les apprentissages', typed: 'Initier à la programmation avec des robots', cycle: 2 },
};
const CLASSES = {
  [SCHOOL_1]: [{ name: 'PS-MS', pupils: '24' }],
  [SCHOOL_2]: [
    { name: 'CP-CE1', pupils: '22' },
    { name: 'CM1-CM2', pupils: '25' },
  ],
};
// The workflow test's scenario A, the lines of the school first in the « Pour » list first.
const LINES = [
  { search: 'tablette', reference: 'TABL', school: SCHOOL_2, quantity: '16', objective: OBJECTIVES[SCHOOL_2].typical },
  { search: 'CHAR16', reference: 'CHAR16', school: SCHOOL_2, quantity: '1', objective: OBJECTIVES[SCHOOL_2].typical },
  { search: 'ENI65', reference: 'ENI65', school: SCHOOL_1, quantity: '2', objective: OBJECTIVES[SCHOOL_1].typed },
];

/** What was pressed, in all and for the stretch being walked. */
class Count {
  tabs = 0;
  shiftTabs = 0;
  /** Enter, Space, arrows, Escape, shortcuts: every key but Tab and the characters typed. */
  keys = 0;
  /** Characters typed into fields (the same whatever the layout of the screens). */
  chars = 0;
  stretches = [];
  #mark = { tabs: 0, shiftTabs: 0, keys: 0, chars: 0 };

  /** Closes the stretch `label`, remembering what it took. */
  stretch(label) {
    const now = { tabs: this.tabs, shiftTabs: this.shiftTabs, keys: this.keys, chars: this.chars };
    const d = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - this.#mark[k]]));
    this.stretches.push({ label, ...d });
    this.#mark = now;
  }

  print() {
    for (const s of this.stretches) {
      console.log(`  ${s.label.padEnd(44)} Tab ${String(s.tabs).padStart(3)}  Maj+Tab ${String(s.shiftTabs).padStart(2)}  autres touches ${String(s.keys).padStart(3)}  caractères ${String(s.chars).padStart(3)}`);
    }
    console.log(
      `  keyboard-only visit to the end of scenario A: ${this.tabs + this.shiftTabs} Tab presses (${this.tabs} Tab, ${this.shiftTabs} Shift+Tab), ${this.keys} other keys, ${this.chars} characters typed`,
    );
  }
}

const count = new Count();

async function keys(session, list) {
  const actions = [];
  for (const key of list) actions.push({ type: 'keyDown', value: key }, { type: 'keyUp', value: key });
  await session.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
}

/** One key that is not Tab (Enter, Space, an arrow…). */
async function press(session, key, times = 1) {
  for (let i = 0; i < times; i += 1) {
    await keys(session, [key]);
    count.keys += 1;
  }
}

/** Alt + `key` (a step's shortcut). */
async function alt(session, key) {
  await chord(session, KEY.alt, key);
  count.keys += 1;
}

/** Alt+Page suivante: the focus lands in the next school's section, `inside`. */
async function schoolJump(session, inside) {
  await alt(session, KEY.pageDown);
  await session.waitFor(
    async () => session.execute(
      `const s = [...document.querySelectorAll(arguments[0])].find((e) => e.textContent.includes(arguments[1]));
       return s !== undefined && s.contains(document.activeElement);`,
      [inside.css, inside.text],
    ),
    { message: `Alt+Page suivante into ${inside.text} (focus on ${await focusedDescription(session)})` },
  );
}

/** Types `text` into whatever has the focus, one key per character. */
async function type(session, text) {
  await keys(session, [...text]);
  count.chars += [...text].length;
}

/**
 * A description of the focused element for messages: its test id, id, tag and text.
 */
function focusedDescription(session) {
  return session.execute(`
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return [el.tagName.toLowerCase(), el.dataset.testid && '[' + el.dataset.testid + ']', el.id && '#' + el.id,
      (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40)].filter(Boolean).join(' ');`);
}

// In the page: whether `el` is the element looked for (see focusedIs).
const MATCHES = `
  function matches(el, css, inside, label, text, group) {
    // With \`group\`: also an element of the « roving » group (one tab stop) the one looked for is in.
    if (group && el && el.closest) {
      const box = el.closest('[data-roving]');
      if (box && [...box.querySelectorAll(css)].some((other) => matches(other, css, inside, label, text, false))) return true;
    }
    if (!el || !el.matches || !el.matches(css)) return false;
    if (inside) {
      const box = el.closest(inside.css);
      if (!box || !box.textContent.includes(inside.text)) return false;
    }
    if (label !== null) {
      const l = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (!l || !l.textContent.includes(label)) return false;
    }
    if (text !== null && !el.textContent.includes(text)) return false;
    return true;
  }`;

/**
 * True when the focused element matches `css` and, if `inside` is given, sits in an element
 * matching `inside.css` whose text contains `inside.text`; `label` is the text of its label,
 * `text` its own.
 */
function focusedIs(session, css, { inside = null, label = null, text = null, group = false } = {}) {
  return session.execute(`${MATCHES} return matches(document.activeElement, ...arguments);`, [css, inside, label, text, group]);
}

/**
 * Which way is shorter to `css` from the focus, as a user who knows the screen would
 * choose: the page's tab stops in order (tabindex ≥ 0, shown, enabled), counted both ways.
 */
function shorterBack(session, css, { inside = null, label = null, text = null, group = false } = {}) {
  return session.execute(
    `${MATCHES}
     const stops = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')].filter(
       (el) => el.tabIndex >= 0 && !el.disabled && !el.closest('[hidden], [inert]') && el.getClientRects().length > 0);
     const at = stops.indexOf(document.activeElement);
     if (at < 0) return false;
     const n = stops.length;
     let forward = null, back = null;
     for (let d = 1; d < n && (forward === null || back === null); d += 1) {
       if (forward === null && at + d < n && matches(stops[at + d], ...arguments)) forward = d;
       if (back === null && at - d >= 0 && matches(stops[at - d], ...arguments)) back = d;
     }
     return back !== null && (forward === null || back < forward);`,
    [css, inside, label, text, group],
  );
}

/**
 * Presses Tab or Shift+Tab, whichever is shorter (`back` forces Shift+Tab), until the focus
 * is on `css` (see focusedIs), at most `max` times; fails with where the focus went otherwise.
 */
async function tabTo(session, css, { back = null, max = 120, ...where } = {}) {
  const seen = [];
  if (await focusedIs(session, css, where)) return 0;
  const backwards = back ?? (await shorterBack(session, css, where));
  for (let i = 1; i <= max; i += 1) {
    if (backwards) {
      await chord(session, KEY.shift, KEY.tab);
      count.shiftTabs += 1;
    } else {
      await keys(session, [KEY.tab]);
      count.tabs += 1;
    }
    if (await focusedIs(session, css, where)) {
      if (process.env.PREAU_E2E_DEBUG) console.log(`    ${i} ${backwards ? 'Shift+Tab' : 'Tab'} to ${css}: ${seen.join(' → ')}`);
      return i;
    }
    if (seen.length < 150) seen.push(await focusedDescription(session));
  }
  throw new Error(`no focus on ${css} ${JSON.stringify(where)} after ${max} ${backwards ? 'Shift+Tab' : 'Tab'}: ${seen.join(' → ')}`);
}

/**
 * Goes to `css` as a user would: Tab (or Shift+Tab) to the tab stop it is, or to the
 * group of controls it belongs to (one tab stop, see ui/src/lib/keys.ts), then ↓ inside the
 * group until the focus is on it.
 */
async function reach(session, css, where = {}) {
  await tabTo(session, css, { ...where, group: true });
  for (let i = 0; i < 30; i += 1) {
    if (await focusedIs(session, css, where)) return;
    await press(session, KEY.down);
  }
  throw new Error(`no focus on ${css} ${JSON.stringify(where)} with ↓ in its group: ${await focusedDescription(session)}`);
}

/** Waits until the focus is on `css` (something the app moved it to by itself). */
async function focusLands(session, css, where = {}) {
  await session.waitFor(() => focusedIs(session, css, where), {
    timeout: 10_000,
    message: `focus on ${css}`,
  }).catch(async (error) => {
    throw new Error(`${error.message}; focus on ${await focusedDescription(session)}`);
  });
}

/** Chooses the option whose label contains `label` in the focused <select>, with ↓ and ↑. */
async function choose(session, label) {
  const where = await session.execute(
    `const [label] = arguments;
     const s = document.activeElement;
     if (!s || s.tagName !== 'SELECT') return null;
     const target = [...s.options].findIndex((o) => o.textContent.includes(label));
     return { target, at: s.selectedIndex };`,
    [label],
  );
  assert(where && where.target >= 0, `no option « ${label} » in the focused select (${await focusedDescription(session)})`);
  const moves = where.target - where.at;
  await press(session, moves > 0 ? KEY.down : KEY.up, Math.abs(moves));
  const now = await session.execute('return document.activeElement.selectedOptions[0].textContent');
  assert(now.includes(label), `the select shows « ${now} », not « ${label} »`);
}

async function waitSaved(session) {
  const status = await session.find($('save-status'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await session.waitFor(async () => (await status.attribute('data-state')) === 'saved', {
    timeout: 15_000,
    message: 'everything saved',
  });
}

/** The two schools in the order the step `testid`'s sections show them (a user goes down the page). */
async function onScreen(session, testid) {
  const order = await session.execute(
    `return [...document.querySelectorAll('[data-testid="${testid}"]')].map((s) => s.querySelector('h3').textContent);`,
  );
  const at = (school) => order.findIndex((name) => name.includes(school));
  return [SCHOOL_1, SCHOOL_2].sort((a, b) => at(a) - at(b));
}

async function stepShown(session, name) {
  await session.waitFor(
    async () => (await session.execute(`return !document.querySelector('[data-step="${name}"]').hidden`)) === true,
    { message: `step ${name} shown` },
  );
}

async function setUp() {
  await cli('schools', 'import', FIXTURES.schools);
  const [insee] = (await cli('communes', 'search', 'Péronne', '--limit', '1')).trim().split('\t');
  assert(/^\d{5}$/.test(insee), `Péronne's INSEE code: ${insee}`);
  return insee;
}

async function main() {
  await setUpThenApp(step, 'Péronne’s schools imported with preau-cli', setUp, scenario);
}

async function scenario(session, insee) {
  let visitId;
  await step('plan the visit from the commune sheet: date and time typed, Entrée', session, async () => {
    await session.waitForElement($('nav-home'), { timeout: 30_000 });
    await session.execute(`location.hash = '#/communes/${insee}'`);
    await session.waitForElement($('plan-visit-date'), { timeout: 20_000 });
    await session.execute('document.activeElement && document.activeElement.blur();');
    // Past the rail by the skip link, the first tab stop.
    await tabTo(session, $('skip-link'));
    await press(session, KEY.enter);
    await tabTo(session, $('plan-visit-date'));
    await type(session, '10/12/2026');
    await tabTo(session, $('plan-visit-time'));
    await type(session, '14h30');
    await press(session, KEY.enter);
    await session.waitForElement($('visit-header'), { timeout: 20_000 });
    visitId = decodeURIComponent((await session.url()).split('#/visites/')[1] ?? '');
    assert(visitId.length > 10, 'the visit opened');
    const when = (await textContent(session, await session.find($('visit-when')))).replace(/\s/g, ' ');
    assert(when.includes('10 décembre 2026') && when.includes('14'), `the visit is on ${when}`);
    count.stretch('plan the visit');
  });

  await step('Participants: two schools ticked, two people with their roles', session, async () => {
    await session.waitForElement($('school-check'));
    for (const school of [SCHOOL_1, SCHOOL_2]) {
      await reach(session, $('school-check'), { label: school });
      await press(session, KEY.space);
    }
    await waitSaved(session);
    for (const [i, p] of PARTICIPANTS.entries()) {
      // The first one with « + Ajouter un participant », the next with Entrée in the row.
      if (i === 0) await reach(session, $('add-participant'));
      await press(session, KEY.enter);
      await focusLands(session, $('participant-name'), { inside: { css: `${$('participant-row')}:nth-child(${i + 1})`, text: '' } });
      await type(session, p.name);
      await reach(session, $('participant-role'), { inside: { css: `${$('participant-row')}:nth-child(${i + 1})`, text: '' } });
      const role = await session.execute('return document.activeElement.selectedOptions[0].textContent');
      if (!role.includes(p.role)) await choose(session, p.role);
      if (p.phone) {
        await reach(session, $('participant-phone'), { inside: { css: `${$('participant-row')}:nth-child(${i + 1})`, text: '' } });
        await type(session, p.phone);
      }
    }
    await waitSaved(session);
    const rows = await session.findAll($('participant-row'));
    assert(rows.length === 2, `${rows.length} participants`);
    const roles = await session.execute(
      'return [...document.querySelectorAll(\'[data-testid="participant-role"]\')].map((s) => s.selectedOptions[0].textContent);',
    );
    assert(roles[0] === PARTICIPANTS[0].role && roles[1] === PARTICIPANTS[1].role, `roles ${roles}`);
    count.stretch('Participants (2 schools, 2 people)');
  });
  await shot(session, 'participants');

  await step('Projet (Alt+2): a typical and a typed objective, a cycle, per school', session, async () => {
    await alt(session, '2');
    await stepShown(session, 'projet');
    await session.find($('school-jump-hint'));
    for (const [n, school] of (await onScreen(session, 'project-school')).entries()) {
      const o = OBJECTIVES[school];
      const inside = { css: $('project-school'), text: school };
      // The next school with Alt+Page suivante, past the rest of this one.
      if (n > 0) await schoolJump(session, inside);
      await reach(session, $('objective-typical'), { inside, text: o.typical });
      await press(session, KEY.enter);
      await session.waitFor(
        async () => (await session.execute(
          `return [...document.querySelectorAll('[data-testid="project-school"]')].find((s) => s.textContent.includes(arguments[0]))
             .querySelectorAll('[data-testid="objective-row"]').length`, [school])) === 1,
        { message: `${school}: 1 objective` },
      );
      await reach(session, $('objective-input'), { inside });
      await type(session, o.typed);
      await press(session, KEY.enter);
      await reach(session, $('project-cycle'), { inside, label: `Cycle ${o.cycle}` });
      await press(session, KEY.space);
    }
    await waitSaved(session);
    count.stretch('Projet (2 schools)');
  });
  await shot(session, 'project');

  await step('Situation (Alt+3): three classes, names, pupils', session, async () => {
    await alt(session, '3');
    await stepShown(session, 'situation');
    for (const [n, school] of (await onScreen(session, 'situation-school')).entries()) {
      const inside = { css: $('situation-school'), text: school };
      if (n > 0) await schoolJump(session, inside);
      for (const [i, c] of CLASSES[school].entries()) {
        // The first class with « + Ajouter une classe », the next with Entrée in the row.
        if (i === 0) await reach(session, $('class-add'), { inside });
        await press(session, KEY.enter);
        const row = { css: `${$('situation-school')}[data-school-id] ${$('class-row')}:nth-child(${i + 1})`, text: '' };
        await focusLands(session, $('class-name'), { inside });
        await focusLands(session, $('class-name'), { inside: row });
        await type(session, c.name);
        await reach(session, $('class-pupils'), { inside });
        await type(session, c.pupils);
      }
    }
    await waitSaved(session);
    count.stretch('Situation (3 classes)');
  });
  await shot(session, 'situation');

  await step('Équipements (Alt+4): scenario A and its three lines from the keyboard', session, async () => {
    await alt(session, '4');
    await stepShown(session, 'equipements');
    await reach(session, $('scenario-add'));
    await press(session, KEY.enter);
    await session.waitForElement(`${$('scenario-tab')}[data-label="A"][aria-pressed="true"]`);
    for (const [i, line] of LINES.entries()) {
      await reach(session, $('catalogue-search'));
      await type(session, line.search);
      const first = await session.waitForElement(`${$('catalogue-item')}[data-enter="true"]`);
      assert((await first.attribute('data-reference')) === line.reference, `Entrée would add ${await first.attribute('data-reference')}`);
      const school = await session.findAll($('catalogue-school'));
      if (school.length > 0 && !(await session.execute('return arguments[0].selectedOptions[0].textContent', [school[0]])).includes(line.school)) {
        await reach(session, $('catalogue-school'));
        await choose(session, line.school);
        await reach(session, $('catalogue-search'));
      }
      await press(session, KEY.enter);
      const row = { css: `${$('line-row')}:nth-child(${i + 1})`, text: '' };
      await focusLands(session, $('line-quantity'), { inside: row });
      await type(session, line.quantity);
      await reach(session, $('line-objective'), { inside: row, label: line.objective });
      await press(session, KEY.space);
      await waitSaved(session);
      // Entrée in the line: back to the catalogue for the next article.
      if (i < LINES.length - 1) await press(session, KEY.enter);
    }
    const rows = await session.findAll(`[data-step="equipements"] ${$('line-row')}`);
    assert(rows.length === 3, `${rows.length} lines`);
    for (const [i, row] of rows.entries()) {
      assert((await row.attribute('data-reference')) === LINES[i].reference, `line ${i + 1}: ${await row.attribute('data-reference')}`);
      assert((await row.findAll($('line-unjustified'))).length === 0, `line ${i + 1} serves its objective`);
    }
    count.stretch('Équipements (scenario A, 3 lines)');
  });
  await shot(session, 'scenario-a');

  await step('figures: Tab presses and keys of the keyboard-only visit (printed)', session, async () => {
    count.print();
  });

  await step('scenario A on screen is what preau-cli computes for the visit typed', session, async () => {
    const plans = JSON.parse(await cli('visits', 'plan', visitId, '--json'));
    assert(plans.length === 1, `${plans.length} scenarios from the CLI`);
    const { plan } = plans[0];
    // The same amount as the screen's, its digits read in order (« 12 345,67 € »).
    const shown = (await textContent(session, await session.find($('totals-ht')))).replace(/\D/g, '');
    assert(shown === String(plan.total_ht_cents), `screen HT ${shown}, CLI ${plan.total_ht_cents}`);
  });
}

await main();
finish();
