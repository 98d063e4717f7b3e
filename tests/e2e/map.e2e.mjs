#!/usr/bin/env node
// End-to-end test of the maps (issue 14) in the real window. preau-cli imports the example
// visit of Péronne, issues its proposal and records the mayor's yes; the Communes screen
// then opens on the département with Péronne filled as « Proposition acceptée » and its
// neighbour Doingt as a member not visited. A visit of Doingt is planned in the window:
// back on the map Doingt is « Visitée » (its fill checked). Hover names a commune; a click
// on Péronne, at a point inside its shape, opens its sheet, which draws it among its
// neighbours (a click on one opens that one's sheet); the arrow keys and Entrée do the same
// from the keyboard. The list (« Liste ») says the same states. axe on the map, the list
// and the sheet. The school form opened under a row leaves the table's columns where they
// were and Échap closes it. Frame times while dragging and zooming are measured (reported,
// not asserted: README « Benchmarks »).
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import { mkdir, readFile } from 'node:fs/promises';
import { audit, loadAxe } from './axe.mjs';
import {
  $,
  assert,
  cliIn,
  click,
  driverReachable,
  fail,
  finish,
  freshShot,
  importExampleVisit,
  KEY,
  press,
  sleep,
  StopScenario,
  stepper,
  textContent,
  webProcessCpu,
  withApp,
} from './tap.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;
const shot = (session, name) => freshShot(session, name, 'map-');
const step = stepper({ prefix: 'map-', screenshot: shot });

const PERONNE = '80620';
const DOINGT = '80240';
// The back-office's colours (style.css): the two maps read the same.
const FILL = {
  member: 'rgb(255, 255, 217)',
  visited: 'rgb(161, 218, 180)',
  accepted: 'rgb(34, 94, 168)',
};

const communeLink = (insee) => `[data-testid="commune-map"] a[data-insee="${insee}"]`;

/** The stage and computed fill of a commune on the map. */
function stageOf(session, insee) {
  return session.execute(
    `const a = document.querySelector(arguments[0]);
     if (!a) return null;
     return { stage: a.dataset.stage, fill: getComputedStyle(a.querySelector('path')).fill };`,
    [communeLink(insee)],
  );
}

/**
 * A point of the window inside the commune's shape and not under another one (the
 * centre of a concave commune may be its neighbour's): a grid over its box, each point
 * checked with `elementFromPoint`.
 */
function pointInside(session, selector) {
  return session.execute(
    `const a = document.querySelector(arguments[0]);
     a.scrollIntoView({ block: 'center' });
     const r = a.getBoundingClientRect();
     let best = null;
     for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
       const x = r.left + (r.width * i) / 12, y = r.top + (r.height * j) / 12;
       const hit = document.elementFromPoint(x, y)?.closest('a');
       if (hit === a) {
         const d = Math.abs(i - 6) + Math.abs(j - 6);
         if (!best || d < best.d) best = { x: Math.round(x), y: Math.round(y), d };
       }
     }
     return best;`,
    [selector],
  );
}

/** Clicks with the mouse at a point inside the link `selector`'s shape. */
async function clickInside(session, selector) {
  const p = await pointInside(session, selector);
  assert(p, `a point inside ${selector}`);
  await mouse(session, [
    { type: 'pointerMove', x: p.x, y: p.y, origin: 'viewport' },
    { type: 'pointerDown', button: 0 },
    { type: 'pointerUp', button: 0 },
  ]);
}

/** W3C pointer actions: moves to (x, y) of the window, then `then` (down, up…). */
function mouse(session, actions) {
  return session.cmd('POST', '/actions', {
    actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }],
  });
}

async function clean(session, name) {
  await step(`axe: no violation on ${name}`, session, async () => {
    const found = await audit(session);
    assert(found.length === 0, found.join('\n'));
  }).catch((error) => {
    if (!(error instanceof StopScenario)) throw error;
  });
}

/** Starts recording each animation frame's time and the map's view box then. */
const startFrames = (session) =>
  session.execute(`
    const svg = document.querySelector('[data-testid="commune-map"]');
    window.__frames = [];
    window.__recording = true;
    const tick = (t) => {
      window.__frames.push([t, svg.getAttribute('viewBox')]);
      if (window.__recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return true;`);

/**
 * Stops recording; answers the delays between frames (ms) from the first frame that saw the
 * view box change to the one after the last change (the frames that painted a move, not
 * the idle ones around): count, median, 95th percentile, worst.
 */
async function stopFrames(session) {
  const ticks = await session.execute('window.__recording = false; return window.__frames;');
  const changed = ticks.map((t, i) => i > 0 && t[1] !== ticks[i - 1][1]);
  const first = changed.indexOf(true);
  const last = changed.lastIndexOf(true);
  const frames = [];
  for (let i = Math.max(1, first); first >= 0 && i <= Math.min(ticks.length - 1, last + 1); i++) frames.push(ticks[i][0] - ticks[i - 1][0]);
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

const ms = (n) => `${n.toFixed(1)} ms`;

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  try {
    await loadAxe();
    await step('Péronne visited, its proposal issued and accepted, with preau-cli', null, async () => {
      const visit = await importExampleVisit(DATA);
      const draft = (await cliIn(DATA, 'proposals', 'draft', visit)).trim();
      await cliIn(DATA, 'proposals', 'issue', draft);
      await cliIn(DATA, 'proposals', 'decide', draft, 'acceptee', '--scenario', 'A');
    });
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up (npm ci in ui/ installs axe-core)', error);
    return;
  }
  if (!(await driverReachable())) return;
  await withApp(step, 'start the app', async (session) => {
    await step('Communes opens on the map, search first', session, async () => {
      await click(session, await session.waitForElement($('nav-communes'), { timeout: 30_000 }));
      await session.waitForElement(communeLink(PERONNE), { timeout: 20_000 });
      const order = await session.execute(
        `const s = document.querySelector('[data-testid="search-input"]');
         const m = document.querySelector('[data-testid="commune-map"]');
         return !!(s.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING) && document.activeElement === s;`,
      );
      assert(order, 'the search comes before the map and has the focus');
      const paths = await session.execute('return document.querySelectorAll(\'[data-testid="commune-map"] .communes path\').length;');
      assert(paths > 700, `${paths} communes drawn`);
    });

    await step('Péronne is « Proposition acceptée », Doingt a member not visited', session, async () => {
      const peronne = await stageOf(session, PERONNE);
      const doingt = await stageOf(session, DOINGT);
      assert(peronne.stage === 'accepted' && peronne.fill === FILL.accepted, JSON.stringify(peronne));
      assert(doingt.stage === 'member' && doingt.fill === FILL.member, JSON.stringify(doingt));
      assert((await textContent(session, await session.find($('map-count-accepted')))) === '1', 'one accepted in the legend');
    });
    await shot(session, 'communes-map');
    await clean(session, 'the map (Communes)');

    await step('hovering Péronne names it and its state', session, async () => {
      const p = await pointInside(session, communeLink(PERONNE));
      assert(p, 'a point inside Péronne');
      await mouse(session, [{ type: 'pointerMove', x: p.x, y: p.y, origin: 'viewport', duration: 50 }]);
      const tip = await session.waitForElement($('map-tip'));
      const text = await textContent(session, tip);
      assert(text.includes('Péronne') && text.includes('Proposition acceptée'), `tip: ${text}`);
    });
    await shot(session, 'hover-peronne');

    await step('frame time while dragging and zooming (reported)', session, async () => {
      const svg = await session.find($('commune-map'));
      const r = await session.execute('const r = arguments[0].getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 };', [svg]);
      const x = Math.round(r.x);
      const y = Math.round(r.y);
      // Zoom in twice first (the + button), so the drag moves a closer view.
      await click(session, await session.find($('map-zoom-in')));
      await click(session, await session.find($('map-zoom-in')));
      await shot(session, 'zoomed');
      // What changes in the map while it moves: the view box only (no path is redrawn).
      await session.execute(
        `window.__mutations = new Set();
         window.__observer = new MutationObserver((list) => list.forEach((m) =>
           window.__mutations.add(m.type === 'attributes' ? m.target.tagName + '@' + m.attributeName : m.type)));
         window.__observer.observe(arguments[0], { subtree: true, childList: true, attributes: true, characterData: true });
         return true;`,
        [svg],
      );
      const cpu0 = await webProcessCpu(DATA);
      await startFrames(session);
      const moves = [];
      for (let i = 1; i <= 40; i++) moves.push({ type: 'pointerMove', x: x + Math.round(150 * Math.sin(i / 6)), y: y + Math.round(i * 2), origin: 'viewport', duration: 25 });
      await mouse(session, [
        { type: 'pointerMove', x, y, origin: 'viewport' },
        { type: 'pointerDown', button: 0 },
        ...moves,
        { type: 'pointerUp', button: 0 },
      ]);
      const pan = await stopFrames(session);
      const cpu1 = await webProcessCpu(DATA);
      const moved = await session.execute('return arguments[0].getAttribute("viewBox");', [svg]);
      // Zoom: the wheel's handler, one notch a frame, in and out.
      await startFrames(session);
      await session.execute(
        `const svg = arguments[0];
         const r = svg.getBoundingClientRect();
         let n = 0;
         const notch = () => {
           svg.dispatchEvent(new WheelEvent('wheel', { deltaY: n < 30 ? -60 : 60, clientX: r.left + r.width / 3, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }));
           if (++n < 60) requestAnimationFrame(notch);
         };
         requestAnimationFrame(notch);
         return true;`,
        [svg],
      );
      await sleep(2500);
      const cpu2 = await webProcessCpu(DATA);
      const zoom = await stopFrames(session);
      const mutated = await session.execute('window.__observer.disconnect(); return [...window.__mutations];');
      // The view box, and the tab stop once (the pressed commune gets the focus).
      assert(
        mutated.includes('svg@viewBox') && mutated.every((m) => ['svg@viewBox', 'svg@class', 'a@tabindex'].includes(m)),
        `changed while moving: ${mutated}`,
      );
      const load = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
      console.log(`  pan: ${pan.count} frames, median ${ms(pan.p50)}, p95 ${ms(pan.p95)}, worst ${ms(pan.max)}; web process CPU ${ms((cpu1 - cpu0) / pan.count)} a frame (view box now ${moved})`);
      console.log(`  zoom: ${zoom.count} frames, median ${ms(zoom.p50)}, p95 ${ms(zoom.p95)}, worst ${ms(zoom.max)}; web process CPU ${ms((cpu2 - cpu1) / zoom.count)} a frame; load ${load}`);
      assert(pan.count > 10 && zoom.count > 10, 'frames were recorded');
      // Back to the whole département for the clicks.
      await click(session, await session.find($('map-overview')));
    });

    await step('a click on Péronne, inside its shape, opens its sheet', session, async () => {
      await clickInside(session, communeLink(PERONNE));
      const title = await session.waitForElement($('commune-name'));
      await session.waitFor(async () => (await title.text()).trim() === 'Péronne', { message: 'the sheet of Péronne' });
    });

    await step('the sheet draws Péronne among its neighbours, Doingt one of them', session, async () => {
      const current = await session.waitForElement($('neighbour-current'));
      assert((await current.attribute('data-stage')) === 'accepted', 'Péronne accepted on its sheet');
      const doingt = await session.find(`${$('neighbour')}[data-insee="${DOINGT}"]`);
      assert((await doingt.attribute('data-stage')) === 'member', 'Doingt a member');
      assert((await session.findAll($('neighbour'))).length >= 5, 'its neighbours');
      await session.execute('arguments[0].scrollIntoView({ block: "center" }); return true;', [current]);
      // The names as drawn by the window (its fonts, not the placement's estimate): none
      // over another, Péronne's among them.
      const boxes = await session.execute(`return [...document.querySelectorAll('[data-testid="neighbour-label"]')].map((t) => {
        const r = t.getBoundingClientRect();
        return [t.textContent, r.left, r.top, r.right, r.bottom];
      });`);
      assert(boxes.some(([name]) => name === 'Péronne'), 'Péronne is named on its sheet');
      for (const [i, a] of boxes.entries()) {
        for (const b of boxes.slice(i + 1)) {
          assert(!(a[1] < b[3] && b[1] < a[3] && a[2] < b[4] && b[2] < a[4]), `« ${a[0]} » and « ${b[0]} » drawn over each other`);
        }
      }
      console.log(`  ${boxes.length} names written on the sheet, none over another`);
    });
    await shot(session, 'sheet-neighbours');
    await clean(session, 'the sheet with its neighbours');

    await step('the school form opened under a row keeps the columns; Échap closes it', session, async () => {
      const widths = () =>
        session.execute(`return [...document.querySelectorAll('[data-testid="schools-table"] thead th')].map((th) => Math.round(th.getBoundingClientRect().width));`);
      const before = await widths();
      const edit = await session.find($('edit-school'));
      await click(session, edit);
      await session.waitForElement($('school-edit-row'));
      await shot(session, 'school-form-open');
      const during = await widths();
      assert(JSON.stringify(before) === JSON.stringify(during), `columns ${before} then ${during}`);
      const focused = await session.execute('return document.activeElement?.dataset.testid;');
      assert(focused === 'school-name', `the name field has the focus (${focused})`);
      await press(session, KEY.escape);
      await session.waitFor(async () => (await session.findAll($('school-edit-row'))).length === 0, { message: 'the form closed' });
      const back = await session.execute('return document.activeElement?.dataset.testid;');
      assert(back === 'edit-school', `the focus is back on « Modifier » (${back})`);
    });

    await step('a click on Doingt on the sheet opens its sheet; a visit is planned', session, async () => {
      await clickInside(session, `${$('neighbour')}[data-insee="${DOINGT}"]`);
      // Péronne's heading is still there for a moment: the heading is looked up again each time.
      await session.waitFor(async () => (await textContent(session, await session.find($('commune-name')))) === 'Doingt', {
        message: 'the sheet of Doingt',
      });
      const date = await session.waitForElement($('plan-visit-date'));
      await date.clear();
      await date.sendKeys('14/12/2026');
      await (await session.find($('plan-visit-submit'))).click();
      await session.waitForElement($('visit-header'), { timeout: 10_000 });
    });

    await step('back on the map, Doingt is « Visitée »', session, async () => {
      await click(session, await session.find($('nav-communes')));
      await session.waitForElement(communeLink(DOINGT), { timeout: 20_000 });
      const doingt = await stageOf(session, DOINGT);
      assert(doingt.stage === 'visited' && doingt.fill === FILL.visited, JSON.stringify(doingt));
    });

    await step('from the keyboard: Tab into the map, arrows to a neighbour, Entrée opens it', session, async () => {
      // Focus Péronne's link (the one the Tab key enters on once chosen), then → and Entrée.
      await session.execute(`document.querySelector(arguments[0]).focus();`, [communeLink(PERONNE)]);
      await press(session, KEY.right);
      const moved = await session.execute('return document.activeElement?.dataset.insee;');
      assert(moved && moved !== PERONNE, `the arrow moved the focus (${moved})`);
      const tabbable = await session.execute(`return [...document.querySelectorAll('[data-testid="commune-map"] a[tabindex="0"]')].map((a) => a.dataset.insee);`);
      assert(tabbable.length === 1 && tabbable[0] === moved, `one tab stop in the map: ${tabbable}`);
      await press(session, KEY.enter);
      const title = await session.waitForElement($('commune-name'));
      const name = (await title.text()).trim();
      assert(name.length > 0 && name !== 'Péronne', `the sheet of the neighbour (${name})`);
      await session.execute('history.back(); return true;');
      await session.waitForElement(communeLink(PERONNE), { timeout: 20_000 });
    });

    await step('« Liste » says the same states', session, async () => {
      await click(session, await session.find($('show-list')));
      const row = await session.waitForElement(`${$('map-list-row')}[data-insee="${PERONNE}"]`);
      assert((await row.attribute('data-stage')) === 'accepted', 'Péronne accepted in the list');
      const first = await session.find($('map-list-row'));
      assert((await first.attribute('data-stage')) === 'accepted', 'the most advanced first');
      await session.select(await session.find($('list-stage')), 'visited');
      await session.waitFor(async () => (await session.findAll($('map-list-row'))).length === 1, { message: 'one visited commune' });
      assert((await (await session.find($('map-list-row'))).attribute('data-insee')) === DOINGT, 'Doingt is the visited one');
    });
    await shot(session, 'communes-list');
    await clean(session, 'the list (Communes)');
  });
}

await main();
finish();
