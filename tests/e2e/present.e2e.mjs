#!/usr/bin/env node
// End-to-end test of « Montrer au maire » in the real app: import Péronne's schools and the
// example visit (two scenarios) with preau-cli, open the visit, press F5: the presentation
// shows every scenario with the same totals as `preau-cli visits plan --json` (TTC, aids,
// FCTVA, remaining cost, cost over the life, per pupil per year), a chart whose parts add
// up to the total TTC, the objectives served and no participant's phone or e-mail; the
// arrow keys move between scenarios, Escape returns to the visit with the focus on the
// button, which opens it again. Alt+5 / Alt+1 go to the steps, and the first tab stop is
// the skip link past the rail.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import { mkdir } from 'node:fs/promises';
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
  gotoStep,
  importExampleVisit,
  KEY,
  openVisit,
  press,
  StopScenario,
  stepper,
  textContent,
  withApp,
} from './tap.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;
const shot = (session, name) => freshShot(session, name, 'present-');
const step = stepper({ prefix: 'present-', screenshot: shot });

/** « 12 345,67 € » as the UI writes it (U+202F thousands, U+00A0 before €). */
function money(cents) {
  const euros = Math.trunc(Math.abs(cents) / 100);
  const rest = String(Math.abs(cents) % 100).padStart(2, '0');
  const grouped = String(euros).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return `${cents < 0 ? '\u2212' : ''}${grouped},${rest}\u00a0€`;
}

async function current(session) {
  return (await session.find($('presentation'))).attribute('data-current');
}

/** The window handles WebDriver knows, and a switch to one of them. */
const handles = (session) => session.cmd('GET', '/window/handles');
const switchTo = (session, handle) => session.cmd('POST', '/window', { handle });

/**
 * The second screen: started with `--presenter-here` (Xvfb has one screen), F5 opens the
 * presentation in a window of its own; the adviser's window keeps the visit, and a
 * scenario chosen there is the one the other window shows.
 */
async function secondScreen(session, visitId, plans) {
  await step('second screen: F5 opens the presentation in its own window', session, async () => {
    await openVisit(session, visitId);
    await session.waitFor(async () => (await (await session.find($('present-open'))).property('disabled')) === false, {
      message: 'the button is enabled',
    });
    const [main] = await handles(session);
    await press(session, KEY.f5);
    await session.waitForElement($('presenting-elsewhere'));
    assert((await session.findAll($('presentation'))).length === 0, 'the laptop keeps the visit');
    const all = await session.waitFor(async () => {
      const h = await handles(session);
      return h.length === 2 ? h : null;
    }, { message: 'two windows' });
    const other = all.find((h) => h !== main);
    await switchTo(session, other);
    const card = await session.waitForElement(`${$('present-scenario')}[data-label="A"]`, { timeout: 20_000 });
    const ttc = await textContent(session, await card.find($('present-ttc')));
    assert(ttc === money(plans[0].plan.total_ttc_cents), `the other window shows ${ttc}`);
    assert((await current(session)) === 'A', 'scenario A first');
    await shot(session, 'second-screen');
    await switchTo(session, main);
    return { main, other };
  }).then(async ({ main, other }) => {
    await step('second screen: the scenario chosen on the laptop is the one shown', session, async () => {
      await gotoStep(session, 'financement');
      await click(session, await session.find(`${$('funding-scenario-tab')}[data-label="B"]`));
      await switchTo(session, other);
      await session.waitFor(async () => (await current(session)) === 'B', { message: 'B on the second screen' });
      await switchTo(session, main);
    });
    await step('second screen: F5 again closes it', session, async () => {
      await press(session, KEY.f5);
      await session.waitFor(async () => (await handles(session)).length === 1, { message: 'one window left' });
      assert((await session.findAll($('presenting-elsewhere'))).length === 0, 'the notice is gone');
    });
  });
}

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  let visitId;
  let plans;
  try {
    visitId = await step('import the schools and the example visit with preau-cli', null, () => importExampleVisit(DATA));
    plans = await step('preau-cli visits plan --json', null, async () => {
      const list = JSON.parse(await cliIn(DATA, 'visits', 'plan', visitId, '--json'));
      assert(list.length === 2, `${list.length} plans`);
      return list;
    });
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up', error);
    return;
  }
  if (!(await driverReachable())) return;
  await withApp(step, 'start the app', (session) => scenario(session, visitId, plans));
  await withApp(step, 'start the app with --presenter-here', (session) => secondScreen(session, visitId, plans), () => {}, [
    '--presenter-here',
  ]);
}

async function scenario(session, visitId, plans) {
  await step('open the visit', session, () => openVisit(session, visitId));
  // The visit's notes and participants' phones and e-mails are internal; none may show.
  const visit = JSON.parse(await cliIn(DATA, 'visits', 'export', visitId)).visit;
  const privateTexts = [visit.notes, ...(visit.participants ?? []).flatMap((p) => [p.phone, p.email])].filter((t) => t);

  await step('F5 opens the presentation', session, async () => {
    await session.waitFor(async () => (await (await session.find($('present-open'))).property('disabled')) === false, {
      message: 'the button is enabled once the workflow is loaded',
    });
    await press(session, KEY.f5);
    await session.waitForElement(`${$('presentation')}[open]`);
    const cards = await session.findAll($('present-scenario'));
    assert(cards.length === 2, `${cards.length} scenarios shown`);
  });
  await shot(session, 'presentation');

  await step('each scenario shows the totals of preau-cli visits plan --json', session, async () => {
    for (const { scenario: s, plan } of plans) {
      const card = await session.find(`${$('present-scenario')}[data-label="${s.label}"]`);
      const expected = {
        ttc: plan.total_ttc_cents,
        aid: plan.total_aid_cents,
        fctva: plan.fctva_cents,
        remaining: plan.remaining_ttc_cents,
        life: plan.total_cost_over_life_cents,
        pupil: plan.cost_per_pupil_per_year_cents,
      };
      for (const [key, cents] of Object.entries(expected)) {
        const text = await textContent(session, await card.find($(`present-${key}`)));
        const want = cents === null ? '—' : money(cents);
        assert(text === want, `scenario ${s.label} ${key}: shown « ${text} », plan says « ${want} »`);
      }
      const chart = await card.find($('pay-chart'));
      assert(Number(await chart.attribute('data-total')) === plan.total_ttc_cents, `scenario ${s.label}: the chart adds up to the TTC`);
      const aids = plan.aids.filter((a) => a.amount_cents > 0);
      for (const a of aids) {
        const part = await chart.find(`rect[data-key="aid:${a.programme_id}"]`);
        assert(Number(await part.attribute('data-cents')) === a.amount_cents, `scenario ${s.label}: ${a.name} in the chart`);
      }
    }
    const objectives = await session.findAll($('present-objectives'));
    assert(objectives.length >= 1, 'the objectives served are listed');
  });

  await step('the figures are at least 2.5 times the totals bar’s', session, async () => {
    const sizes = await session.execute(`
      const px = (el) => parseFloat(getComputedStyle(el).fontSize);
      return {
        shown: px(document.querySelector('[data-testid="present-ttc"]')),
        bar: px(document.querySelector('[data-testid="totals-ttc"]')),
      };`);
    assert(sizes.shown >= 2.5 * sizes.bar, `presentation ${sizes.shown}px, totals bar ${sizes.bar}px`);
  });

  await step('nothing internal: not the notes, no participant’s phone or e-mail', session, async () => {
    assert(privateTexts.length > 0, 'the example visit has notes');
    const text = await session.execute('return document.querySelector(\'[data-testid="presentation"]\').textContent;');
    for (const t of privateTexts) assert(!text.includes(t), `« ${t} » is shown`);
  });

  await step('the arrow keys move between scenarios', session, async () => {
    const first = await current(session);
    await press(session, KEY.right);
    await session.waitFor(async () => (await current(session)) !== first, { message: 'the next scenario' });
    const second = await current(session);
    assert(first === 'A' && second === 'B', `${first} then ${second}`);
    await press(session, KEY.right);
    assert((await current(session)) === 'B', 'the last scenario stays');
    const marked = await session.findAll(`${$('present-scenario')}[aria-current="true"]`);
    assert(marked.length === 1 && (await marked[0].attribute('data-label')) === 'B', 'B is the current one');
    await press(session, KEY.left);
    await session.waitFor(async () => (await current(session)) === 'A', { message: 'back to A' });
    await press(session, KEY.right);
    await session.waitFor(async () => (await current(session)) === 'B', { message: 'B again' });
  });
  await shot(session, 'scenario-B');

  await step('Escape returns to the visit, on the scenario shown', session, async () => {
    await press(session, KEY.escape);
    await session.waitFor(async () => (await session.findAll($('presentation'))).length === 0, { message: 'closed' });
    const focused = await session.execute('return document.activeElement && document.activeElement.dataset.testid;');
    assert(focused === 'present-open', `focus on ${focused}`);
    const label = await (await session.find($('totals-scenario'))).attribute('data-label');
    assert(label === 'B', `the totals bar shows scenario ${label}`);
  });

  await step('Alt+5 and Alt+1 go to the steps; the skip link goes past the rail', session, async () => {
    const shown = (name) =>
      session.execute(`return !document.querySelector('[data-step="${name}"]').hidden;`);
    const alt = (digit) => chord(session, KEY.alt, digit);
    await alt('5');
    await session.waitFor(() => shown('financement'), { message: 'Alt+5 shows « Financement »' });
    await alt('1');
    await session.waitFor(() => shown('participants'), { message: 'Alt+1 shows « Participants »' });
    await session.execute('document.activeElement && document.activeElement.blur(); window.focus();');
    await press(session, KEY.tab);
    const first = await session.execute('return document.activeElement && document.activeElement.dataset.testid;');
    assert(first === 'skip-link', `the first tab stop is ${first}`);
    await press(session, KEY.enter);
    const target = await session.execute('return document.activeElement && document.activeElement.id;');
    assert(target === 'visit-scroll', `the skip link went to ${target}`);
  });

  await step('the button opens it again', session, async () => {
    await click(session, await session.find($('present-open')));
    await session.waitForElement(`${$('presentation')}[open]`);
    await click(session, await session.find($('presentation-close')));
    await session.waitFor(async () => (await session.findAll($('presentation'))).length === 0, { message: 'closed' });
  });
}

await main();
finish();
