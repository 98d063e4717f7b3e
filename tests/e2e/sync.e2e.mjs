#!/usr/bin/env node
// End-to-end test of sync in the real app against a real preau-server on 127.0.0.1 (port
// 0) with its own data dir: enroll the app through Réglages, press « Synchroniser », see
// « À jour », and find the visit on a second laptop (a data dir driven by preau-cli). Then
// the same field edited on both laptops: the app shows the conflict with both values, the
// adviser keeps one, and both laptops converge. An edit in the app then reaches the server
// by itself (no « Synchroniser »). Last, the server revokes the app's device: the app says
// so, the local data stays, and « Exporter toutes les visites » writes one preau-visit
// JSON per visit (PREAU_SAVE_DIR bypasses the folder picker); « Exporter la visite
// (JSON) » in the visit writes the same bytes as `preau-cli visits export`. Before the
// revocation, the visit is handed over to another adviser (issue 12): the app shows it
// read-only, and an edit typed there anyway is refused by the server and kept aside.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_SERVER (the preau-server binary), PREAU_DATA_DIR,
// PREAU_SAVE_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional). run.sh sets them.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
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
  openVisit,
  sleep,
  StopScenario,
  stepper,
  textContent,
  visitItem,
  withApp,
} from './tap.mjs';

const run = promisify(execFile);

const APP = process.env.PREAU_APP;
const SERVER = process.env.PREAU_SERVER ?? (APP ? path.join(path.dirname(APP), 'preau-server') : undefined);
const DATA = process.env.PREAU_DATA_DIR;
const SAVE_DIR = process.env.PREAU_SAVE_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;

const NOTES_A = 'Notes saisies dans l’application (poste A).';
const NOTES_B = 'Notes saisies sur le poste B.';
const NOTES_AUTO = 'Notes envoyées sans appuyer sur « Synchroniser ».';
const LAPTOP_B_NAME = 'portable-b';

/** A screenshot; the page is nudged so that WebKitWebDriver gets a fresh frame. */
const shot = (session, name) => freshShot(session, name, 'sync-');
const step = stepper({ screenshot: shot });

/** The real server, on a port the system picks; answers its URL and a stop function. */
async function startServer(dir, bind = '127.0.0.1:0') {
  const child = spawn(SERVER, ['--data-dir', dir, 'serve', '--bind', bind], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`preau-server did not say where it listens: ${out} ${log}`)), 15_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /écoute sur (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`preau-server exited (${code}): ${log}`));
    });
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { url, stop, log: () => log };
}

async function server(dir, ...args) {
  const { stdout } = await run(SERVER, ['--data-dir', dir, ...args]);
  return stdout;
}

/** A one-time enrollment code: the last word `preau-server enroll` prints. */
async function enrollmentCode(dir) {
  const words = (await server(dir, 'enroll', '--adviser', 'Test')).trim().split(/\s+/);
  return words[words.length - 1];
}

async function notesIn(dir, visitId) {
  const doc = JSON.parse(await cliIn(dir, 'visits', 'export', visitId));
  return doc.visit.notes;
}

async function railLabel(session) {
  return textContent(session, await session.find($('sync-state-label')));
}

async function waitRail(session, expected, timeout = 30_000) {
  return session.waitFor(async () => (await railLabel(session)) === expected, {
    timeout,
    message: `the rail says « ${expected} »`,
  });
}

async function openSyncScreen(session) {
  await click(session, await session.find($('sync-state')));
  await session.waitForElement($('sync-screen-state'));
}

/** Presses « Synchroniser » once the button is enabled (an automatic sync may be running). */
async function pressSync(session) {
  const button = await session.waitFor(
    async () => {
      const b = await session.find($('sync-now'));
      return (await b.property('disabled')) ? null : b;
    },
    { timeout: 60_000, message: '« Synchroniser » enabled' },
  );
  await click(session, button);
}

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  assert(SERVER, 'PREAU_SERVER is not set');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'preau-sync-e2e-'));
  const serverDir = path.join(tmp, 'serveur');
  const laptopB = path.join(tmp, 'poste-b');
  await mkdir(serverDir, { recursive: true });
  const srv = { current: null };
  let visitId;
  try {
    try {
      srv.current = await step('start preau-server on 127.0.0.1, port 0', null, () => startServer(serverDir));
      visitId = await step('import the schools and the example visit into the app with preau-cli', null, () =>
        importExampleVisit(DATA),
      );
    } catch (error) {
      if (!(error instanceof StopScenario)) fail('set-up', error);
      return;
    }
    if (!(await driverReachable())) return;

    await withApp(
      step,
      'start the app',
      (session) => scenario(session, { srv, serverDir, laptopB, visitId }),
      () => {
        if (srv.current) console.log(`  server log:\n  ${srv.current.log().split('\n').slice(-15).join('\n  ')}`);
      },
    );
  } finally {
    await srv.current?.stop();
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

async function scenario(session, { srv, serverDir, laptopB, visitId }) {
  const url = srv.current.url;
  await step('before enrollment the rail says the laptop is not linked', session, async () => {
    await session.waitForElement($('sync-state'), { timeout: 30_000 });
    await waitRail(session, 'Non relié au serveur');
  });

  await step('enroll the app in Réglages with the server address and a one-time code', session, async () => {
    const code = await enrollmentCode(serverDir);
    await click(session, await session.find($('nav-settings')));
    const urlInput = await session.waitForElement($('sync-url'));
    await session.execute('arguments[0].scrollIntoView({ block: "center" });', [urlInput]);
    await shot(session, 'settings-not-enrolled');
    await urlInput.click();
    await urlInput.sendKeys(url);
    const codeInput = await session.find($('sync-code'));
    await codeInput.click();
    await codeInput.sendKeys(code);
    await click(session, await session.find($('sync-enroll')));
    const adviser = await session.waitForElement($('settings-sync-adviser'), { timeout: 20_000 });
    assert((await textContent(session, adviser)) === 'Test', 'enrolled for Test');
    const server = await textContent(session, await session.find($('settings-sync-server')));
    assert(server === url, `server shown: ${server}`);
  });
  await shot(session, 'settings-enrolled');

  await step('« Synchroniser » on the sync screen ends « À jour »', session, async () => {
    await openSyncScreen(session);
    await pressSync(session);
    await session.waitFor(
      async () => (await textContent(session, await session.find($('sync-screen-state')))) === 'À jour',
      { timeout: 60_000, message: 'sync screen « À jour »' },
    );
    await waitRail(session, 'À jour');
    const last = await textContent(session, await session.find($('sync-last')));
    assert(last !== 'Jamais synchronisé', `last sync: ${last}`);
  });
  await shot(session, 'sync-screen-a-jour');

  await step('a second laptop enrolled with preau-cli receives the visit', null, async () => {
    const code = await enrollmentCode(serverDir);
    await cliIn(laptopB, 'enroll', url, code, '--allow-http', '--name', LAPTOP_B_NAME);
    await cliIn(laptopB, 'sync', '--allow-http');
    const list = await cliIn(laptopB, 'visits', 'list');
    assert(list.includes(visitId), `visit ${visitId} not on laptop B:\n${list}`);
  });

  await step('the same notes edited in the app and on laptop B', session, async () => {
    // In the app: the visit's notes, autosaved.
    await openVisit(session, visitId);
    const notes = await session.waitForElement($('visit-notes'), { timeout: 20_000 });
    await notes.clear();
    await notes.click();
    await notes.sendKeys(NOTES_A);
    await sleep(50);
    const status = await session.find($('save-status'));
    await session.waitFor(async () => (await status.attribute('data-state')) === 'saved', {
      message: 'save-status "saved"',
    });
    assert((await notesIn(DATA, visitId)) === NOTES_A, 'the app did not save the notes');
    // On laptop B: the visit exported, its notes changed, imported back, then synced.
    const file = path.join(laptopB, 'visite.json');
    await cliIn(laptopB, 'visits', 'export', visitId, '--out', file);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.visit.notes = NOTES_B;
    await writeFile(file, JSON.stringify(doc));
    await cliIn(laptopB, 'visits', 'import', file);
    await cliIn(laptopB, 'sync', '--allow-http');
  });

  await step('after « Synchroniser » the app shows the conflict with both values', session, async () => {
    await openSyncScreen(session);
    await pressSync(session);
    const item = await session.waitFor(
      async () => {
        const items = await session.findAll($('sync-conflict'));
        return items.length === 1 ? items[0] : null;
      },
      { timeout: 60_000, message: 'one conflict listed' },
    );
    const text = await textContent(session, item);
    assert(text.includes('Notes'), `conflict field: ${text}`);
    assert(text.includes('Péronne'), `conflict record: ${text}`);
    const local = await textContent(session, await item.find($('conflict-local-text')));
    const other = await textContent(session, await item.find($('conflict-other-text')));
    const values = [local, other].sort();
    assert(
      JSON.stringify(values) === JSON.stringify([NOTES_A, NOTES_B].sort()),
      `both values side by side: ${JSON.stringify({ local, other })}`,
    );
    await session.waitFor(async () => /conflit/.test(await railLabel(session)), {
      timeout: 30_000,
      message: 'the rail counts the conflict',
    });
  });
  await shot(session, 'sync-screen-conflict');

  let chosen;
  await step('keeping laptop B’s value settles the conflict and the app is « À jour »', session, async () => {
    const item = await session.find($('sync-conflict'));
    const other = await textContent(session, await item.find($('conflict-other-text')));
    const button = other === NOTES_B ? 'conflict-keep-other' : 'conflict-keep-local';
    chosen = NOTES_B;
    await click(session, await item.find($(button)));
    await session.waitForElement($('sync-no-conflict'), { timeout: 20_000 });
    assert((await notesIn(DATA, visitId)) === chosen, 'the app keeps the chosen notes');
    // The choice is synced right away; press again in case that sync ended before.
    await pressSync(session);
    await session.waitFor(
      async () => (await textContent(session, await session.find($('sync-screen-state')))) === 'À jour',
      { timeout: 60_000, message: 'sync screen « À jour »' },
    );
  });

  await step('laptop B converges: same notes, no conflict left', null, async () => {
    await cliIn(laptopB, 'sync', '--allow-http');
    const notesB = await notesIn(laptopB, visitId);
    assert(notesB === chosen, `laptop B notes: ${notesB}`);
    const status = await cliIn(laptopB, 'sync', '--status', '--allow-http');
    assert(/Conflits à résoudre : 0/.test(status), `laptop B status:\n${status}`);
    assert((await notesIn(DATA, visitId)) === chosen, 'the app notes changed');
  });

  await step('an edit in the app reaches laptop B by itself, without « Synchroniser »', session, async () => {
    await openVisit(session, visitId);
    const notes = await session.waitForElement($('visit-notes'), { timeout: 20_000 });
    await notes.clear();
    await notes.click();
    await notes.sendKeys(NOTES_AUTO);
    await sleep(50);
    const status = await session.find($('save-status'));
    await session.waitFor(async () => (await status.attribute('data-state')) === 'saved', {
      message: 'save-status "saved"',
    });
    const started = Date.now();
    await session.waitFor(
      async () => {
        await cliIn(laptopB, 'sync', '--allow-http');
        return (await notesIn(laptopB, visitId)) === NOTES_AUTO;
      },
      { timeout: 30_000, interval: 1_000, message: 'laptop B receives the notes' },
    );
    console.log(`  # arrived on laptop B ${((Date.now() - started) / 1000).toFixed(1)} s after the save`);
    await waitRail(session, 'À jour');
  });

  await step('server stopped: « Synchroniser » ends « Hors ligne » with the change waiting', session, async () => {
    await srv.current.stop();
    await openSyncScreen(session);
    await cliIn(DATA, 'visits', 'create', '--commune', '80620', '--at', '2027-01-15T18:00');
    await pressSync(session);
    await waitRail(session, 'Hors ligne', 90_000);
    const error = await textContent(session, await session.find($('sync-error')));
    assert(/injoignable/.test(error), `error shown: ${error}`);
  });
  await shot(session, 'sync-screen-offline');

  await step('server back on the same address: « Synchroniser » ends « À jour »', session, async () => {
    srv.current = await startServer(serverDir, new URL(url).host);
    await pressSync(session);
    await waitRail(session, 'À jour', 60_000);
  });

  await step('handed over to Paul: the visit says it is read-only here', session, async () => {
    await server(serverDir, 'visits', 'hand-over', visitId, '--to', 'Paul');
    await pressSync(session);
    await waitRail(session, 'À jour', 60_000);
    // The rail said « À jour » before the click too, and a visit reads its owner when it
    // opens: it is opened again until the sync that brings the hand-over has landed.
    const notice = await session.waitFor(
      async () => {
        await openVisit(session, visitId);
        return (await session.findAll($('visit-read-only')))[0] ?? null;
      },
      { timeout: 60_000, interval: 500, message: 'the visit opened read-only' },
    );
    const text = await textContent(session, notice);
    assert(/Visite de Paul, en lecture seule/.test(text), `read-only notice: ${text}`);
  });
  await shot(session, 'visit-read-only');

  await step('an edit typed there is refused by the server, kept aside, and the visit put back', session, async () => {
    const notes = await session.waitForElement($('visit-notes'), { timeout: 20_000 });
    await notes.clear();
    await notes.click();
    await notes.sendKeys('Modification refusée.');
    await sleep(50);
    const status = await session.find($('save-status'));
    await session.waitFor(async () => (await status.attribute('data-state')) === 'saved', {
      message: 'save-status "saved"',
    });
    await openSyncScreen(session);
    await pressSync(session);
    const refused = await session.waitForElement($('sync-refused'), { timeout: 60_000 });
    const text = await textContent(session, refused);
    assert(/^1\s+modification/.test(text), `refused: ${text}`);
    await session.waitFor(async () => (await notesIn(DATA, visitId)) === NOTES_AUTO, {
      timeout: 30_000,
      message: 'the notes are the server’s again',
    });
  });
  await shot(session, 'sync-screen-refused');

  await step('the server revokes the app: the app says so and keeps its data', session, async () => {
    const devices = (await server(serverDir, 'devices', 'list')).trim().split('\n');
    const mine = devices.find((line) => !line.includes(LAPTOP_B_NAME));
    assert(mine, `devices:\n${devices.join('\n')}`);
    await server(serverDir, 'devices', 'revoke', mine.split('\t')[0]);
    await pressSync(session);
    const notice = await session.waitForElement($('sync-revoked'), { timeout: 60_000 });
    const text = await textContent(session, notice);
    assert(/révoqué/.test(text) && /restent enregistrées sur ce poste/.test(text), `revoked notice: ${text}`);
    await waitRail(session, 'Appareil révoqué');
    assert((await session.findAll($('sync-now'))).length === 0, '« Synchroniser » still offered');
    await click(session, await session.find($('nav-visits')));
    await session.waitForElement(visitItem(visitId));
  });
  await click(session, await session.find($('sync-state')));
  await session.waitForElement($('sync-revoked'));
  await shot(session, 'sync-screen-revoked');

  await step('revoked: « Exporter toutes les visites » writes one preau-visit JSON per visit', session, async () => {
    assert(SAVE_DIR, 'PREAU_SAVE_DIR is not set (run through tests/e2e/run.sh)');
    const list = (await cliIn(DATA, 'visits', 'list')).trim().split('\n').filter((l) => l.trim() !== '');
    await click(session, await session.find($('export-all-visits')));
    const result = await session.waitForElement($('export-all-visits-result'), { timeout: 30_000 });
    const text = await textContent(session, result);
    assert(text.includes(SAVE_DIR) && /visites? exportées?/.test(text), `export message: ${text}`);
    const files = (await readdir(SAVE_DIR)).filter((f) => f.endsWith('.json'));
    assert(files.length === list.length, `${files.length} files for ${list.length} visits: ${files.join(', ')}`);
    const docs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(SAVE_DIR, f), 'utf8'))));
    assert(docs.every((d) => d.format === 'preau-visit'), 'every file is a preau-visit document');
    const mine = docs.find((d) => d.visit.id === visitId);
    assert(mine, `visit ${visitId} exported`);
    assert(mine.visit.commune_name === 'Péronne', `commune ${mine.visit.commune_name}`);
    assert(mine.visit.notes === NOTES_AUTO, `notes ${mine.visit.notes}`);
  });
  await shot(session, 'sync-screen-revoked-exported');

  await step('« Exporter la visite (JSON) » writes the bytes of preau-cli visits export', session, async () => {
    await rm(SAVE_DIR, { recursive: true, force: true });
    await openVisit(session, visitId);
    await click(session, await session.waitForElement($('visit-export'), { timeout: 20_000 }));
    const result = await session.waitForElement($('visit-export-result'), { timeout: 20_000 });
    const text = await textContent(session, result);
    const saved = text.slice(text.indexOf(SAVE_DIR)).replace(/\s*×$/, '').trim();
    assert(saved.startsWith(SAVE_DIR) && saved.endsWith('.json'), `saved path ${JSON.stringify(saved)}`);
    const bytes = await readFile(saved, 'utf8');
    const cli = await cliIn(DATA, 'visits', 'export', visitId);
    assert(bytes === cli, 'the file differs from preau-cli visits export');
    const doc = JSON.parse(bytes);
    assert(doc.format === 'preau-visit' && doc.visit.commune_name === 'Péronne', `document ${doc.format} ${doc.visit.commune_name}`);
  });
  await shot(session, 'visit-exported');
  await click(session, await session.find($('nav-settings')));
  const revokedInSettings = await session.waitForElement($('settings-sync-revoked'));
  await session.execute('arguments[0].scrollIntoView({ block: "center" });', [revokedInSettings]);
  await shot(session, 'settings-revoked');
}

await main();
finish();
