#!/usr/bin/env node
// End-to-end test of the first start of an installed app, in the real app on an empty
// data directory (run.sh gives a fresh one and seeds nothing):
// - offline: the welcome shows instead of the home screen; « Commencer hors ligne », the
//   directory file imported; a restart in the middle comes back to the same step; the
//   letterhead (blank, the demo one said) refused empty then saved; the home screen; a
//   restart opens on the home screen, not the welcome;
// - server: on an emptied data dir, « Relier ce portable au serveur du syndicat » against a
//   real preau-server on 127.0.0.1 that publishes schools, a catalogue and funding rules:
//   a wrong code is said at the code, an unreachable server above the buttons, then the
//   right one enrolls, the first sync ends and the welcome lists what it brought; the
//   demo letterhead kept on purpose; home; a restart opens on the home screen.
// Env: PREAU_APP, PREAU_CLI, PREAU_SERVER, PREAU_DATA_DIR, TAURI_DRIVER_URL,
// PREAU_SCREENSHOTS (optional; with it, each welcome screen is also shot at 1024×640).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  $,
  assert,
  cliIn,
  click,
  driverReachable,
  fail,
  finish,
  FIXTURES,
  freshShot,
  sleep,
  StopScenario,
  stepper,
  textContent,
  withApp,
} from './tap.mjs';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const APP = process.env.PREAU_APP;
const SERVER = process.env.PREAU_SERVER ?? (APP ? path.join(path.dirname(APP), 'preau-server') : undefined);
const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;
const REFERENCE = path.resolve(HERE, '../../data/reference');

const step = stepper({ screenshot: (s, name) => freshShot(s, name, 'welcome-') });

/** A screenshot at the window's size, and one at 1024×640 (the smallest laptop screen). */
async function shots(session, name) {
  if (!SHOTS) return;
  await freshShot(session, name, 'welcome-');
  try {
    const rect = await session.cmd('GET', '/window/rect');
    await session.cmd('POST', '/window/rect', { width: 1024, height: 640 });
    await sleep(300);
    await freshShot(session, `${name}-1024x640`, 'welcome-');
    await session.cmd('POST', '/window/rect', { width: rect.width, height: rect.height });
    await sleep(300);
  } catch (error) {
    console.log(`  (no 1024×640 shot: ${error.message})`);
  }
}

/** Whether the page shows the welcome (answers at once). */
async function welcomeShown(session) {
  return (await session.findAll($('welcome'))).length > 0;
}

/** The app opened on the home screen, and the welcome is not there. */
async function onHome(session) {
  await session.waitForElement($('nav-home'), { timeout: 30_000 });
  await session.waitForElement($('plan-visit-start'), { timeout: 10_000 });
  assert(!(await welcomeShown(session)), 'the welcome is still shown');
}

/** Empties the data dir (the app is closed): the next start is a new install again. */
async function emptyDataDir() {
  for (const entry of readdirSync(DATA)) await rm(path.join(DATA, entry), { recursive: true, force: true });
}

async function offline() {
  await step('the data directory is empty: no demo school, no demo visit', null, async () => {
    assert(!existsSync(path.join(DATA, 'preau.db')), `a store is already there: ${readdirSync(DATA)}`);
  });

  await withApp(step, 'offline: start the app on the empty data dir', async (session) => {
    await step('the welcome shows instead of the home screen, with its two paths', session, async () => {
      await session.waitForElement($('welcome'), { timeout: 30_000 });
      assert((await session.findAll($('nav-home'))).length === 0, 'the rail is shown under the welcome');
      const server = await textContent(session, await session.waitForElement($('welcome-server')));
      assert(server.startsWith('Relier ce portable au serveur du syndicat'), `server path: ${server}`);
      const off = await textContent(session, await session.find($('welcome-offline')));
      assert(off.startsWith('Commencer hors ligne'), `offline path: ${off}`);
    });
    await shots(session, 'choose');

    await step('« Commencer hors ligne » shows the built-in reference data', session, async () => {
      await click(session, await session.find($('welcome-offline')));
      await session.waitForElement($('welcome-offline-step'));
      const catalogue = await textContent(session, await session.find($('welcome-catalogue')));
      assert(/démonstration/.test(catalogue), `catalogue: ${catalogue}`);
    });
    await shots(session, 'offline');

    await step('the directory file is imported from the welcome', session, async () => {
      await (await session.find($('welcome-schools-import'))).sendKeys(FIXTURES.schools);
      const report = await session.waitForElement($('welcome-import-report'), { timeout: 30_000 });
      const text = await textContent(session, report);
      assert(/écoles? ajoutées?/.test(text), `import report: ${text}`);
      const listed = await cliIn(DATA, 'schools', 'list', '80620');
      assert(listed.trim() !== '', 'no school of Péronne in the store');
    });
    await shots(session, 'offline-imported');
  });

  await withApp(step, 'offline: restart in the middle of the welcome', async (session) => {
    await step('the welcome comes back on the offline step, the schools already there', session, async () => {
      await session.waitForElement($('welcome-offline-step'), { timeout: 30_000 });
      const schools = await textContent(session, await session.waitForElement($('welcome-schools')));
      assert(/écoles déjà dans Préau/.test(schools), `schools: ${schools}`);
    });

    await step('the letterhead starts blank and says the demo one is printed until then', session, async () => {
      await click(session, await session.find($('welcome-next')));
      await session.waitForElement($('welcome-letterhead-step'));
      await session.waitForElement($('welcome-demo-letterhead'));
      const org = await session.waitForElement($('letterhead-organisation'));
      assert((await org.value()) === '', `organisation prefilled with ${await org.value()}`);
      await session.waitForElement($('letterhead-logo-demo'));
    });
    await shots(session, 'letterhead');

    await step('an empty letterhead is refused at its field', session, async () => {
      await click(session, await session.find($('letterhead-save')));
      const error = await session.waitForElement('#letterhead-organisation-error');
      assert((await textContent(session, error)).includes('obligatoire'), 'empty organisation refused inline');
      assert(await welcomeShown(session), 'the welcome ended on a refused letterhead');
    });

    await step('the letterhead is saved and the home screen comes', session, async () => {
      await session.setValue(await session.find($('letterhead-organisation')), 'Syndicat numérique de la Somme');
      await session.setValue(await session.find($('letterhead-address_lines')), '12 rue des Écoles\n80000 Amiens');
      await session.setValue(await session.find($('letterhead-place')), 'Amiens');
      await session.setValue(await session.find($('letterhead-adviser_name')), 'Claire Martin');
      await session.setValue(await session.find($('letterhead-adviser_title')), 'Conseillère numérique');
      await click(session, await session.find($('letterhead-save')));
      await onHome(session);
      const saved = JSON.parse(await cliIn(DATA, 'settings', 'show'));
      assert(saved.organisation === 'Syndicat numérique de la Somme', `organisation ${saved.organisation}`);
      assert(saved.adviser_name === 'Claire Martin' && saved.place === 'Amiens', 'signatory and place');
      assert(JSON.stringify(saved.address_lines) === JSON.stringify(['12 rue des Écoles', '80000 Amiens']), 'address');
    });
    await freshShot(session, 'home', 'welcome-');
  });

  await withApp(step, 'offline: restart the app', async (session) => {
    await step('the app opens on the home screen, not the welcome', session, async () => {
      await onHome(session);
      await sleep(500);
      assert(!(await welcomeShown(session)), 'the welcome came back');
    });
  });
}

/** The real server, on a port the system picks; answers its URL and a stop function. */
async function startServer(dir) {
  const child = spawn(SERVER, ['--data-dir', dir, 'serve', '--bind', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
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
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    url,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

const server = (dir, ...args) => run(SERVER, ['--data-dir', dir, ...args]).then((r) => r.stdout);

async function withServer() {
  assert(SERVER, 'PREAU_SERVER is not set');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'preau-welcome-e2e-'));
  const dir = path.join(tmp, 'serveur');
  await mkdir(dir, { recursive: true });
  let srv = null;
  try {
    srv = await step('start preau-server with schools, a catalogue and funding rules', null, async () => {
      await server(dir, 'import', 'schools', FIXTURES.schools);
      await server(dir, 'import', 'catalogue', path.join(REFERENCE, 'catalogue-syndicat-exemple.csv'));
      await server(dir, 'import', 'funding', path.join(REFERENCE, 'funding_rules.json'));
      return startServer(dir);
    });
    await step('empty the data directory: a new install again', null, emptyDataDir);
    await withApp(
      step,
      'server: start the app on the empty data dir',
      (session) => enroll(session, srv.url, dir),
      () => console.log(`  server log:\n  ${srv.log().split('\n').slice(-15).join('\n  ')}`),
    );
    await withApp(step, 'server: restart the app', async (session) => {
      await step('the app opens on the home screen, enrolled', session, async () => {
        await onHome(session);
        const label = await textContent(session, await session.find($('sync-state-label')));
        assert(label !== 'Non relié au serveur', `rail: ${label}`);
      });
    });
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('server scenario', error);
  } finally {
    await srv?.stop();
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

async function enroll(session, url, serverDir) {
  await step('« Relier ce portable au serveur du syndicat » asks for the address and the code', session, async () => {
    await click(session, await session.waitForElement($('welcome-server'), { timeout: 30_000 }));
    await session.waitForElement($('welcome-url'));
  });

  await step('a wrong code is said at the code', session, async () => {
    await session.setValue(await session.find($('welcome-url')), url);
    await session.setValue(await session.find($('welcome-code')), 'MAUVAIS-CODE');
    await click(session, await session.find($('welcome-enroll')));
    const error = await session.waitForElement($('welcome-code-error'), { timeout: 20_000 });
    const text = await textContent(session, error);
    assert(/Code d.enrôlement inconnu/.test(text), `code error: ${text}`);
  });
  await shots(session, 'server-wrong-code');

  await step('an unreachable server is said above the buttons, and can be retried', session, async () => {
    await session.setValue(await session.find($('welcome-url')), 'http://127.0.0.1:9');
    await click(session, await session.find($('welcome-enroll')));
    const error = await session.waitForElement($('welcome-enroll-error'), { timeout: 60_000 });
    const text = await textContent(session, error);
    assert(/injoignable/.test(text), `enroll error: ${text}`);
    const button = await textContent(session, await session.find($('welcome-enroll')));
    assert(button === 'Réessayer', `button: ${button}`);
  });
  await shots(session, 'server-unreachable');

  await step('the right address and code enroll; the first sync lists what it brought', session, async () => {
    const words = (await server(serverDir, 'enroll', '--adviser', 'Claire Martin')).trim().split(/\s+/);
    await session.setValue(await session.find($('welcome-url')), url);
    await session.setValue(await session.find($('welcome-code')), words[words.length - 1]);
    await click(session, await session.find($('welcome-enroll')));
    await session.waitForElement($('welcome-enrolled'), { timeout: 20_000 });
    await session.waitForElement($('welcome-synced'), { timeout: 60_000 });
    const received = [];
    await session.waitFor(
      async () => {
        received.length = 0;
        for (const dd of await session.findAll($('welcome-received'))) received.push(await textContent(session, dd));
        return received.length === 3 && !received.some((t) => t.startsWith('pas encore'));
      },
      { timeout: 20_000, message: 'schools, catalogue and funding received' },
    );
    assert(/\d+\s+écoles \(version \d+\)/.test(received[0]), `schools: ${received[0]}`);
    assert(/version \d+/.test(received[1]), `catalogue: ${received[1]}`);
    assert(/version \d+/.test(received[2]), `funding: ${received[2]}`);
  });
  await shots(session, 'server-synced');

  await step('the letterhead signs with the enrolled adviser; the demo one kept on purpose', session, async () => {
    await click(session, await session.find($('welcome-next')));
    await session.waitForElement($('welcome-letterhead-step'));
    const name = await session.waitForElement($('letterhead-adviser_name'));
    assert((await name.value()) === 'Claire Martin', `adviser ${await name.value()}`);
    await click(session, await session.find($('welcome-skip-letterhead')));
    await onHome(session);
    const saved = JSON.parse(await cliIn(DATA, 'settings', 'show'));
    assert(saved.organisation === 'Somme numérique', 'the demo letterhead was changed');
  });
}

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  assert(APP && DATA, 'PREAU_APP and PREAU_DATA_DIR must be set');
  if (!(await driverReachable())) return;
  try {
    await offline();
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('offline scenario', error);
  }
  await withServer();
}

main()
  .catch((error) => fail('unexpected error', error))
  .finally(finish);
