#!/usr/bin/env node
// End-to-end test of « Visites » at scale in the real app. preau-cli makes 150 visits: 144
// planned only, and six copies of the example visit (same schools, new ids) whose
// proposals are a draft, issued (one expiring in 10 days, one in 90), accepted, refused
// and expired. The list shows 150, counts each state as the store does, filters by state,
// searches a participant, splits upcoming and past, sorts by commune; Accueil lists the
// proposal to follow up and links to all the visits. Prints how long a search takes from
// keystroke to painted list (a figure, not a check).
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  $,
  assert,
  cliIn,
  click,
  finish,
  freshShot,
  importExampleVisit,
  setUpThenApp,
  stepper,
  textContent,
} from './tap.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const shot = (session, name) => freshShot(session, name, 'visits-');
const step = stepper({ prefix: 'visits-', screenshot: shot });
const cli = (...args) => cliIn(DATA, ...args);

const pad = (n) => String(n).padStart(2, '0');
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
function daysFromToday(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return d;
}

/** The example visit again under new ids (visit, scenarios, lines, objectives…); its schools kept. */
async function copyOf(visitId, dir, n) {
  const doc = JSON.parse(await cli('visits', 'export', visitId));
  const keep = new Set([...(doc.schools ?? []).map((s) => s.id), ...(doc.visit.school_ids ?? [])]);
  const fresh = new Map();
  const text = JSON.stringify(doc).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
    if (keep.has(id)) return id;
    if (!fresh.has(id)) fresh.set(id, randomUUID());
    return fresh.get(id);
  });
  const file = path.join(dir, `copy-${n}.json`);
  await writeFile(file, text);
  return (await cli('visits', 'import', file)).trim();
}

/** Drafts (with `validity` days) and issues the visit's proposal on `on`; answers the proposal id. */
async function issue(visitId, { validity = 90, on = isoDay(new Date()) } = {}) {
  const id = (await cli('proposals', 'draft', visitId, '--validity-days', String(validity))).trim();
  await cli('proposals', 'issue', id, '--date', on);
  return id;
}

async function setUp() {
  const example = await importExampleVisit(DATA);
  const dir = await mkdtemp(path.join(tmpdir(), 'preau-visits-'));
  const copies = [];
  for (let i = 1; i <= 5; i += 1) copies.push(await copyOf(example, dir, i));
  const [soon, later, accepted, refused, expired] = copies;
  await cli('proposals', 'draft', example);
  await issue(soon, { validity: 10 });
  await issue(later);
  // The mayor accepted scenario B of two (issue 13), by its label.
  const answer = await cli('proposals', 'decide', await issue(accepted), 'acceptee', '--scenario', 'B');
  assert(answer.includes('Acceptée — scénario B'), `decide printed ${JSON.stringify(answer)}`);
  await cli('proposals', 'decide', await issue(refused), 'refusee');
  await issue(expired, { validity: 30, on: isoDay(daysFromToday(-60)) });

  const communes = [];
  for (const name of ['Péronne', 'Ham', 'Albert', 'Doullens']) {
    const [insee] = (await cli('communes', 'search', name, '--limit', '1')).trim().split('\t');
    communes.push({ insee, name });
  }
  let upcoming = 0;
  for (let i = 0; i < 144; i += 1) {
    const offset = (i % 24) * 9 - 100; // about three months back to three months ahead
    const at = `${isoDay(daysFromToday(offset))}T${pad(8 + (i % 10))}:00`;
    if (offset > 0) upcoming += 1;
    await cli('visits', 'create', '--commune', communes[i % communes.length].insee, '--at', at);
  }
  const rows = (await cli('visits', 'list')).trim().split('\n');
  assert(rows.length === 150, `${rows.length} visits made`);
  return { example, soon, later, accepted, refused, expired, upcoming };
}

async function count(session) {
  return Number(await (await session.find($('visits-count'))).attribute('data-count'));
}

async function rowStates(session) {
  return session.execute(
    'return [...document.querySelectorAll(\'[data-testid="visit-row"]\')].map((r) => [r.dataset.id, r.dataset.state]);',
  );
}

async function main() {
  await setUpThenApp(step, 'preau-cli makes 150 visits, six with proposals in every state', setUp, scenario);
}

async function scenario(session, made) {
  await step('Accueil: « À relancer » lists the proposal expiring in 10 days; a link to all 150', session, async () => {
    const box = await session.waitForElement($('home-follow-up'), { timeout: 30_000 });
    const items = await box.findAll($('follow-up-item'));
    assert(items.length === 1, `${items.length} to follow up`);
    assert((await items[0].attribute('data-id')) === made.soon, 'the one expiring in 10 days');
    const text = await textContent(session, items[0]);
    assert(text.includes('Péronne') && text.includes('expire dans'), text);
    const all = await session.find($('home-all-visits'));
    assert((await textContent(session, all)).includes('(150)'), 'the link says 150');
  });
  await shot(session, 'home');

  await step('Visites shows 150 visits and counts each state', session, async () => {
    await click(session, await session.find($('home-all-visits')));
    await session.waitForElement($('visits-table'), { timeout: 20_000 });
    assert((await count(session)) === 150, 'count 150');
    const expected = { aucune: 144, brouillon: 1, emise: 2, acceptee: 1, refusee: 1, expiree: 1 };
    for (const [state, n] of Object.entries(expected)) {
      const shown = Number(await textContent(session, await session.find($(`visits-count-${state}`))));
      assert(shown === n, `${state}: ${shown}, expected ${n}`);
    }
  });
  await shot(session, 'list');

  await step('a screen or two of rows drawn; scrolling near the end, or « Afficher plus », draws the next', session, async () => {
    const drawn = async () => (await rowStates(session)).length;
    const first = await drawn();
    assert(first >= 12 && first < 150, `${first} rows drawn at first`);
    // The list scrolls in the app's main pane: the last row drawn brought into view.
    await session.execute('[...document.querySelectorAll(\'[data-testid="visit-row"]\')].at(-1).scrollIntoView(); return true;');
    await session.waitFor(async () => (await drawn()) > first, { message: 'more rows once scrolled to the end' });
    const scrolled = await drawn();
    // The click brings the button into view, which may draw more by itself: at least as
    // many again as at first.
    await click(session, await session.find($('visits-more')));
    await session.waitFor(async () => (await drawn()) >= Math.min(150, scrolled + first), { message: '« Afficher plus » draws as many again' });
  });

  await step('filtered by state: émise, expirée, acceptée, refusée, brouillon', session, async () => {
    const cases = [
      ['emise', [made.soon, made.later]],
      ['expiree', [made.expired]],
      ['acceptee', [made.accepted]],
      ['refusee', [made.refused]],
      ['brouillon', [made.example]],
    ];
    for (const [state, ids] of cases) {
      await click(session, await session.find($(`visits-state-${state}`)));
      await session.waitFor(async () => (await count(session)) === ids.length, { message: `${state}: ${ids.length} rows` });
      const rows = await rowStates(session);
      assert(rows.every(([, s]) => s === state), `${state}: ${JSON.stringify(rows)}`);
      assert(ids.every((id) => rows.some(([r]) => r === id)), `${state}: the expected visits`);
      if (state === 'emise') await shot(session, 'issued');
      if (state === 'acceptee') {
        // « acceptée (scénario B) »: said in the row, and a filter of its own (issue 14).
        const label = await textContent(session, await session.find(`${$('visit-row')}[data-id="${made.accepted}"] ${$('visit-state')}`));
        assert(label === 'Acceptée (scénario\u00a0B)', `accepted row says ${JSON.stringify(label)}`);
        await click(session, await session.waitForElement($('visits-scenario-B')));
        await session.waitFor(async () => (await count(session)) === 1, { message: 'scenario B: 1 row' });
        await shot(session, 'accepted-b');
        await click(session, await session.find($('visits-scenario-all')));
      }
    }
    await click(session, await session.find($('visits-state-aucune')));
    await session.waitFor(async () => (await count(session)) === 144, { message: 'aucune: 144' });
  });
  await shot(session, 'no-proposal');

  await step('search a participant, then à venir, then sort by commune', session, async () => {
    await click(session, await session.find($('visits-state-all')));
    const search = await session.find($('visits-search'));
    await search.sendKeys('dupont');
    await session.waitFor(async () => (await count(session)) === 6, { message: '6 visits with Marie Dupont' });
    await search.clear();
    await session.execute('arguments[0].dispatchEvent(new Event("input", { bubbles: true }));', [search]);
    await session.waitFor(async () => (await count(session)) === 150, { message: 'all again' });
    await session.select(await session.find($('visits-when')), 'upcoming');
    await session.waitFor(async () => (await count(session)) === made.upcoming, {
      message: `${made.upcoming} upcoming`,
    });
    await session.select(await session.find($('visits-when')), 'all');
    await click(session, await session.find($('visits-sort-commune')));
    const first = await session.execute(
      'return [...document.querySelectorAll(\'[data-testid="visit-row"] [data-testid="visit-item"]\')].map((a) => a.textContent.trim());',
    );
    const sorted = [...first].sort((a, b) => a.localeCompare(b, 'fr', { sensitivity: 'base' }));
    assert(JSON.stringify(first) === JSON.stringify(sorted), `sorted by commune: ${first.slice(0, 5).join(', ')}…`);
  });

  await step('a search is painted soon after the keystroke (figure printed)', session, async () => {
    const timings = await session.execute(`
      const input = document.querySelector('[data-testid="visits-search"]');
      return new Promise((resolve) => {
        const out = [];
        const queries = ['h', 'ha', 'ham', 'ha', 'h', ''];
        const next = (i) => {
          if (i === queries.length) return resolve(out);
          const t0 = performance.now();
          input.value = queries[i];
          input.dispatchEvent(new Event('input', { bubbles: true }));
          requestAnimationFrame(() => requestAnimationFrame(() => {
            out.push(performance.now() - t0);
            next(i + 1);
          }));
        };
        next(0);
      });`).catch(() => null);
    if (Array.isArray(timings)) console.log(`  keystroke to painted list, 150 visits: ${timings.map((t) => t.toFixed(1)).join(', ')} ms`);
  });
}

await main();
finish();
