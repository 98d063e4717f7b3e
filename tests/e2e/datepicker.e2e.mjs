#!/usr/bin/env node
// The date fields' French calendar in the real window, under the C locale (issue 14), on
// the planning form of a commune sheet:
// - the date field stays one tab stop (Tab from it reaches « Heure », Shift+Tab comes back);
// - Alt + ↓ opens « <mois> <année> », weeks from Monday (« lu … di »), on the field's day;
//   axe finds no violation with it open; Page Down, Home, → → and ↓ move as the APG
//   pattern says; Entrée puts jj/mm/aaaa in the field and gives it the focus back; the
//   visit planned is on that day (the visit's header, then preau-cli's list);
// - F4 opens it too and Échap closes it, the focus back on the field, nothing changed;
// - in the visit's « Rendez-vous », the date is one tab stop and its button opens the same
//   calendar on the visit's day;
// - a mouse pick: the calendar button, « Mois suivant », a click on the 15th.
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import {
  $,
  assert,
  chord,
  cliIn,
  click,
  driverReachable,
  fail,
  finish,
  freshShot,
  importExampleVisit,
  KEY,
  press,
  StopScenario,
  stepper,
  textContent,
  withApp,
} from './tap.mjs';
import { audit, loadAxe } from './axe.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const shot = (session, name) => freshShot(session, name, 'datepicker-');
const step = stepper({ prefix: 'datepicker-', screenshot: shot });

const PAGE_DOWN = '\uE00F';
const HOME = '\uE011';
const F4 = '\uE034';
const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

/** The date `iso` moved as the grid's keys do (UTC arithmetic, no time zone involved). */
function utc(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}
const isoOf = (date) => date.toISOString().slice(0, 10);
function addDays(iso, n) {
  const d = utc(iso);
  d.setUTCDate(d.getUTCDate() + n);
  return isoOf(d);
}
function nextMonth(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return isoOf(new Date(Date.UTC(y, m, Math.min(d, last))));
}
const mondayOf = (iso) => addDays(iso, -((utc(iso).getUTCDay() + 6) % 7));
const shown = (iso) => iso.split('-').reverse().join('/');
const french = (iso) => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d === 1 ? '1er' : d}\u00a0${MONTHS[m - 1]}\u00a0${y}`;
};

const active = (session) => session.execute('return document.activeElement?.dataset.testid ?? document.activeElement?.dataset.date ?? document.activeElement?.tagName;');
const calendarOpen = async (session) => (await session.findAll($('date-calendar'))).length > 0;

async function openSheet(session) {
  await click(session, await session.waitForElement($('nav-communes'), { timeout: 30_000 }));
  const search = await session.waitForElement($('search-input'), { timeout: 20_000 });
  await search.clear();
  await search.sendKeys('peronne');
  // Péronne's own hit: the first one may still be an earlier keystroke's.
  await click(session, await session.waitForElement(`${$('search-result')}[data-insee="80620"]`));
  return session.waitForElement($('plan-visit-date'), { timeout: 20_000 });
}

async function main() {
  try {
    await loadAxe();
    await step('import the schools and the example visit with preau-cli', null, () => importExampleVisit(DATA));
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up (npm ci in ui/ installs axe-core)', error);
    return;
  }
  if (!(await driverReachable())) return;
  const planned = [];
  await withApp(step, 'start the app', async (session) => {
    let field = await step('open the planning form of Péronne', session, () => openSheet(session));

    await step('the date field is one tab stop: Tab reaches « Heure », Shift+Tab comes back', session, async () => {
      await session.execute('arguments[0].focus();', [field]);
      await press(session, KEY.tab);
      assert((await active(session)) === 'plan-visit-time', `after Tab: ${await active(session)}`);
      await chord(session, '\uE008', KEY.tab);
      assert((await active(session)) === 'plan-visit-date', `after Shift+Tab: ${await active(session)}`);
    });

    const start = await field.attribute('data-value');
    const target = addDays(addDays(mondayOf(nextMonth(start)), 2), 7);
    await step(`Alt+↓ opens the calendar on ${start}, in French, weeks from Monday`, session, async () => {
      await chord(session, KEY.alt, KEY.down);
      await session.waitForElement($('date-calendar'));
      assert((await active(session)) === start, `the focused day: ${await active(session)}`);
      const [y, m] = start.split('-').map(Number);
      const title = await textContent(session, await session.find($('calendar-title')));
      assert(title === `${MONTHS[m - 1]}\u00a0${y}`, `title ${JSON.stringify(title)}`);
      const heads = await session.execute(`return [...document.querySelectorAll('[data-testid="date-calendar"] th')].map((th) => th.textContent.trim()).join(' ');`);
      assert(heads === 'lu ma me je ve sa di', `heads ${heads}`);
      const selected = await session.execute(`return document.querySelector('[data-testid="date-calendar"] td[aria-selected="true"]')?.dataset.date;`);
      assert(selected === start, `the selected day ${selected}`);
      // For the record (the calendar does not use it): what Intl says in this window.
      const intl = await session.execute(
        `return [Intl.DateTimeFormat().resolvedOptions().locale, new Intl.DateTimeFormat('fr-FR', { month: 'long', weekday: 'short', day: 'numeric' }).format(new Date(2026, 11, 1))].join(' / ');`,
      );
      console.log(`  the window's Intl (default locale / fr-FR): ${intl}`);
    });
    await shot(session, 'calendar-open');

    await step('axe: no violation with the calendar open', session, async () => {
      const found = await audit(session);
      assert(found.length === 0, found.join('\n'));
    });

    await step(`Page Down, Home, →, →, ↓ reach ${target}; Entrée puts ${shown(target)} in the field`, session, async () => {
      await press(session, PAGE_DOWN, HOME, KEY.right, KEY.right, KEY.down);
      assert((await active(session)) === target, `the focused day: ${await active(session)}`);
      await shot(session, 'calendar-moved');
      await press(session, KEY.enter);
      await session.waitFor(async () => !(await calendarOpen(session)), { message: 'the calendar closed' });
      assert((await active(session)) === 'plan-visit-date', `the focus: ${await active(session)}`);
      assert((await field.attribute('data-value')) === target, `data-value ${await field.attribute('data-value')}`);
      const text = await session.execute('return arguments[0].value;', [field]);
      assert(text === shown(target), `the field shows ${text}`);
    });

    await step('F4 opens it again on the picked day; Échap closes it, the focus back, nothing changed', session, async () => {
      await press(session, F4);
      await session.waitForElement($('date-calendar'));
      assert((await active(session)) === target, `the focused day: ${await active(session)}`);
      await press(session, KEY.right, KEY.escape);
      await session.waitFor(async () => !(await calendarOpen(session)), { message: 'the calendar closed' });
      assert((await active(session)) === 'plan-visit-date', `the focus: ${await active(session)}`);
      assert((await field.attribute('data-value')) === target, `data-value ${await field.attribute('data-value')}`);
    });

    await step(`« Planifier »: the visit is on ${french(target)}`, session, async () => {
      await click(session, await session.find($('plan-visit-submit')));
      const header = await session.waitForElement($('visit-header'), { timeout: 10_000 });
      await session.waitFor(async () => (await textContent(session, header)).includes(french(target)), {
        message: `the header says ${french(target)}`,
      });
      planned.push(target);
    });

    await step('in the visit, « Rendez-vous »: the same calendar on its date, one tab stop; Échap', session, async () => {
      const date = await session.waitForElement($('visit-date'));
      await session.execute('arguments[0].focus();', [date]);
      await press(session, KEY.tab);
      assert((await active(session)) === 'visit-time', `after Tab: ${await active(session)}`);
      await click(session, await session.find($('visit-date-calendar')));
      await session.waitForElement($('date-calendar'));
      assert((await active(session)) === target, `the focused day: ${await active(session)}`);
      await shot(session, 'visit-calendar');
      await press(session, KEY.escape);
      await session.waitFor(async () => !(await calendarOpen(session)), { message: 'the calendar closed' });
      assert((await active(session)) === 'visit-date', `the focus: ${await active(session)}`);
    });

    field = await step('back to the planning form of Péronne', session, () => openSheet(session));
    const mouse = (() => {
      const [y, m] = nextMonth(start).split('-').map(Number);
      return `${y}-${String(m).padStart(2, '0')}-15`;
    })();
    await step(`with the mouse: the calendar button, « Mois suivant », the 15th (${mouse})`, session, async () => {
      await click(session, await session.find($('plan-visit-date-calendar')));
      await session.waitForElement($('date-calendar'));
      await click(session, await session.find($('calendar-next')));
      await click(session, await session.waitForElement(`${$('date-calendar')} td[data-date="${mouse}"]`));
      await session.waitFor(async () => !(await calendarOpen(session)), { message: 'the calendar closed' });
      assert((await field.attribute('data-value')) === mouse, `data-value ${await field.attribute('data-value')}`);
      const text = await session.execute('return arguments[0].value;', [field]);
      assert(text === shown(mouse), `the field shows ${text}`);
      await click(session, await session.find($('plan-visit-submit')));
      const header = await session.waitForElement($('visit-header'), { timeout: 10_000 });
      await session.waitFor(async () => (await textContent(session, header)).includes(french(mouse)), {
        message: `the header says ${french(mouse)}`,
      });
      planned.push(mouse);
    });
  });

  if (planned.length === 2) {
    await step(`preau-cli lists the visits on ${planned.join(' and ')}`, null, async () => {
      const list = await cliIn(DATA, 'visits', 'list');
      for (const day of planned) assert(list.includes(day), `no visit on ${day} in:\n${list}`);
    });
  }
}

await main();
finish();
