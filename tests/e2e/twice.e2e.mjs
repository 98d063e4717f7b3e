#!/usr/bin/env node
// End-to-end test of issue 9, « Nothing typed is lost », in the real window: every kind of
// field of a visit edited at least twice between two syncs (a participant's name typed three
// times, a role chosen with the arrow keys twice, a cycle checkbox on/off/on, an objective, a
// class name, a line quantity 5 then 7, the visit date changed twice), the app closed and
// reopened, and every last value found on screen and through preau-cli. First with no
// server, then on a laptop enrolled to a server that has been stopped. Then the store made
// to fail (another process holds its write lock): the field says « Non enregistré — nouvel
// essai… », issuing the proposal is refused, the value waits in the journal across a
// restart and lands once the store is back; an edit can be abandoned. Last, the issue
// confirmation lists the unjustified lines and the rules « à vérifier », and `preau-cli
// doctor` finds the store sound.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_SERVER, PREAU_DATA_DIR, TAURI_DRIVER_URL,
// PREAU_SCREENSHOTS (optional). run.sh sets them.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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
  gotoStep,
  importExampleVisit,
  KEY,
  openVisit,
  press,
  sleep,
  StopScenario,
  stepper,
  textContent,
  withApp,
} from './tap.mjs';

const run = promisify(execFile);
const APP = process.env.PREAU_APP;
const CLI = process.env.PREAU_CLI;
const SERVER = process.env.PREAU_SERVER ?? (APP ? path.join(path.dirname(APP), 'preau-server') : undefined);
const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;
const JOURNAL = path.join(DATA ?? '.', 'modifications-en-attente.json');
const DB = path.join(DATA ?? '.', 'preau.db');

// Records of the example visit (tests/fixtures/visit-peronne-2-ecoles.json).
const MARIE = '01a228d8-993f-71d8-a2f7-74184466520c';
const PAUL = '01a228d8-993f-71d8-a2f7-7419e7db2b39';
const CLASS = '01a228d8-9942-74c2-b4e4-615e79f99127';
const LINE = '01a228d8-9944-70bd-9d79-f0577fb51ccc';

/** The school of CLASS: the import gives the schools of the directory their local ids. */
let SCHOOL = null;

const shot = (session, name) => freshShot(session, name, 'twice-');
const step = stepper({ screenshot: shot });

// ---------- Helpers ----------

async function saveState(session) {
  return (await session.find($('save-status'))).attribute('data-state');
}

/** Waits for « Enregistré » in the header (every edit committed, nothing journaled). */
async function waitSaved(session, timeout = 15_000) {
  await session.waitFor(async () => (await saveState(session)) === 'saved', { timeout, message: 'save-status "saved"' });
}

async function waitState(session, state, timeout = 20_000) {
  await session.waitFor(async () => (await saveState(session)) === state, { timeout, message: `save-status "${state}"` });
}

async function journalEntries() {
  try {
    return JSON.parse(await readFile(JOURNAL, 'utf8')).entries;
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

async function waitJournal(predicate, message) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const entries = await journalEntries();
    if (predicate(entries)) return entries;
    if (Date.now() > deadline) throw new Error(`journal: ${message}; it holds ${JSON.stringify(entries)}`);
    await sleep(100);
  }
}

async function typeInto(session, element, text) {
  await session.execute('arguments[0].scrollIntoView({ block: "center", inline: "nearest" });', [element]);
  await element.click();
  await element.clear();
  await element.sendKeys(text);
}

const participantRow = (id) => `[data-testid="participant-row"][data-id="${id}"]`;
const projectSection = () => `[data-testid="project-school"][data-school-id="${SCHOOL}"]`;
const classRow = `[data-testid="class-row"][data-id="${CLASS}"]`;
const lineRow = `[data-step="equipements"] [data-testid="line-row"][data-id="${LINE}"]`;

async function exported(visitId) {
  return JSON.parse(await cliIn(DATA, 'visits', 'export', visitId));
}

/** A role chosen with the arrow keys: focus on the select, one press, until it moves. */
async function roleByArrow(session, select) {
  await session.execute('arguments[0].scrollIntoView({ block: "center" }); arguments[0].focus();', [select]);
  const before = await select.value();
  await press(session, KEY.down);
  let after = await session.waitFor(async () => {
    const v = await select.value();
    return v !== before ? v : null;
  }, { timeout: 3_000, message: 'the role moves with the arrow key' }).catch(() => null);
  if (after === null) {
    // The last role: the arrow goes up instead.
    await press(session, KEY.up);
    after = await session.waitFor(async () => {
      const v = await select.value();
      return v !== before ? v : null;
    }, { timeout: 3_000, message: 'the role moves with the arrow key' });
  }
  return after;
}

/**
 * Edits every kind of field of the visit at least twice, waiting for each save to land
 * (each is a separate write between two syncs, what used to fail); answers what the fields
 * must show after a restart.
 */
async function editEverything(session, visitId, tag) {
  const want = {};
  await step(`${tag}: a participant’s name typed three times`, session, async () => {
    await openVisit(session, visitId);
    const name = await session.waitForElement(`${participantRow(MARIE)} ${$('participant-name')}`, { timeout: 20_000 });
    for (const text of [`Marie Dupond ${tag}`, `Marie Dupont-Roy ${tag}`, `Marie Durand ${tag}`]) {
      await typeInto(session, name, text);
      await waitSaved(session);
    }
    want.name = `Marie Durand ${tag}`;
  });

  await step(`${tag}: a role chosen with the arrow keys, twice`, session, async () => {
    const select = await session.find(`${participantRow(PAUL)} ${$('participant-role')}`);
    await roleByArrow(session, select);
    await waitSaved(session);
    want.role = await roleByArrow(session, select);
    await waitSaved(session);
  });

  await step(`${tag}: the visit date changed twice`, session, async () => {
    const date = await session.find($('visit-date'));
    for (const day of tag === 'A' ? ['2026-12-10', '2026-12-17'] : ['2027-01-07', '2027-01-14']) {
      await session.setValue(date, day);
      await waitSaved(session);
      assert((await date.attribute('data-value')) === day, `the date field refused ${day}`);
      want.date = day;
    }
  });

  await step(`${tag}: a cycle checkbox on, off, on; an objective retyped`, session, async () => {
    await gotoStep(session, 'projet');
    const section = await session.waitForElement(projectSection(), { timeout: 20_000 });
    const cycle = (await section.findAll($('project-cycle')))[0];
    const start = await cycle.property('checked');
    for (let i = 0; i < 3; i += 1) {
      await click(session, cycle);
      await waitSaved(session);
    }
    want.cycle1 = !start;
    const objective = (await section.findAll($('objective-label')))[0];
    for (const text of [`Lire et écrire ${tag}`, `Lire, écrire et parler ${tag}`]) {
      await typeInto(session, objective, text);
      await waitSaved(session);
    }
    want.objective = `Lire, écrire et parler ${tag}`;
  });

  await step(`${tag}: a class renamed twice`, session, async () => {
    await gotoStep(session, 'situation');
    const name = await session.waitForElement(`${classRow} ${$('class-name')}`, { timeout: 20_000 });
    for (const text of [`CP ${tag}`, `CP-CE1 ${tag}`]) {
      await typeInto(session, name, text);
      await waitSaved(session);
    }
    want.className = `CP-CE1 ${tag}`;
  });

  await step(`${tag}: a line quantity 5, then 7`, session, async () => {
    await gotoStep(session, 'equipements');
    const quantity = await session.waitForElement(`${lineRow} ${$('line-quantity')}`, { timeout: 20_000 });
    for (const q of ['5', '7']) {
      await typeInto(session, quantity, q);
      await waitSaved(session);
    }
    want.quantity = '7';
  });

  await step(`${tag}: « Enregistré » in the header and nothing left in the journal`, session, async () => {
    await waitSaved(session);
    const text = await textContent(session, await session.find($('save-status')));
    assert(/Enregistré à|Tout est enregistré/.test(text), `save-status: ${text}`);
    await waitJournal((entries) => entries.length === 0, 'empty once every edit is committed');
  });
  await shot(session, `${tag}-all-saved`);
  return want;
}

/** After a restart: every last value on screen and in the store (preau-cli). */
async function checkEverything(session, visitId, tag, want) {
  await step(`${tag}: after a restart, every last value is on screen`, session, async () => {
    await openVisit(session, visitId);
    const name = await session.waitForElement(`${participantRow(MARIE)} ${$('participant-name')}`, { timeout: 20_000 });
    const seen = {
      name: await name.value(),
      role: await (await session.find(`${participantRow(PAUL)} ${$('participant-role')}`)).value(),
      date: await (await session.find($('visit-date'))).attribute('data-value'),
    };
    await gotoStep(session, 'projet');
    const section = await session.waitForElement(projectSection());
    seen.cycle1 = await (await section.findAll($('project-cycle')))[0].property('checked');
    seen.objective = await (await section.findAll($('objective-label')))[0].value();
    await gotoStep(session, 'situation');
    seen.className = await (await session.waitForElement(`${classRow} ${$('class-name')}`)).value();
    await gotoStep(session, 'equipements');
    seen.quantity = await (await session.waitForElement(`${lineRow} ${$('line-quantity')}`)).value();
    assert(JSON.stringify(seen) === JSON.stringify(want), `on screen ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}`);
    await waitSaved(session);
  });

  await step(`${tag}: … and in the store, through preau-cli`, null, async () => {
    const doc = await exported(visitId);
    const people = Object.fromEntries(doc.visit.participants.map((p) => [p.id, p]));
    const pedagogy = doc.pedagogy.find((p) => p.school_id === SCHOOL);
    const line = doc.scenarios.flatMap((s) => s.lines).find((l) => l.id === LINE);
    const stored = {
      name: people[MARIE].name,
      role: people[PAUL].role,
      date: doc.visit.scheduled_at.slice(0, 10),
      cycle1: pedagogy.cycles.includes(1),
      objective: pedagogy.objectives[0].label,
      className: doc.classes.find((c) => c.id === CLASS).name,
      quantity: String(line.quantity),
    };
    assert(JSON.stringify(stored) === JSON.stringify(want), `stored ${JSON.stringify(stored)}, expected ${JSON.stringify(want)}`);
  });
}

/** Twice the edits, a restart, the check; `label` names the laptop's situation. */
async function editCloseReopen(visitId, tag, label) {
  let want;
  await withApp(step, `${tag}: start the app (${label})`, async (session) => {
    want = await editEverything(session, visitId, tag);
  });
  if (!want) throw new StopScenario();
  await sleep(1_500);
  await withApp(step, `${tag}: restart the app`, (session) => checkEverything(session, visitId, tag, want));
}

// ---------- The server (for an enrolled laptop) ----------

async function startServer(dir) {
  const child = spawn(SERVER, ['--data-dir', dir, 'serve', '--bind', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`preau-server did not say where it listens: ${out}`)), 15_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /écoute sur (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`preau-server exited (${code})`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

// ---------- A store that fails: another process holds its write lock ----------

/** Holds SQLite's write lock on the store until `release()`: every save fails (busy).
 * The store is encrypted (SQLCipher, issue 12), so a plain SQLite client cannot open it:
 * the lock is taken the way SQLite itself takes it in WAL mode: POSIX record locks on
 * `preau.db-shm` (made by the running app), shared on the "a connection is open" byte
 * (128, so that nobody rebuilds the WAL index meanwhile) and exclusive on the WAL write
 * lock (120). Readers go on; every writer gets SQLITE_BUSY after its busy timeout. */
async function lockStore() {
  const script = `
import fcntl, os, sys
fd = os.open(sys.argv[1] + '-shm', os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_SH, 1, 128)
fcntl.lockf(fd, fcntl.LOCK_EX, 1, 120)
print('locked', flush=True)
sys.stdin.read()
fcntl.lockf(fd, fcntl.LOCK_UN, 1, 120)
`;
  const child = spawn('python3', ['-c', script, DB], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`the locking process exited (${code})`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  return {
    release: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

async function storeFails(visitId) {
  const NAME = 'Marie Journal';
  let lock = null;
  try {
    await withApp(step, 'locked store: start the app', async (session) => {
      await openVisit(session, visitId);
      // The visit's draft proposal is made (a write) before the store fails.
      await gotoStep(session, 'proposition');
      await session.waitForElement($('proposal-issue'), { timeout: 20_000 });
      await gotoStep(session, 'participants');
      const name = await session.waitForElement(`${participantRow(MARIE)} ${$('participant-name')}`, { timeout: 20_000 });
      lock = await lockStore();

      await step('locked store: the name typed is « Non enregistré — nouvel essai… » at the field and in the header', session, async () => {
        await typeInto(session, name, NAME);
        await waitState(session, 'retrying');
        const header = await textContent(session, await session.find($('save-status')));
        assert(header.includes('Non enregistré — nouvel essai…'), `save-status: ${header}`);
        assert(!/Tout est enregistré|Enregistré à/.test(header), `save-status: ${header}`);
        const row = await session.find(participantRow(MARIE));
        const rowText = await textContent(session, row);
        assert(rowText.includes('Non enregistré — nouvel essai…'), `row: ${rowText}`);
        assert((await name.value()) === NAME, 'the field keeps the value typed');
        const entries = await waitJournal((e) => e.some((x) => x.call?.participant?.name === NAME && x.error), 'the failed name, marked');
        console.log(`  # journal: ${entries.length} entry, error « ${entries[0].error} »`);
      });
      await shot(session, 'locked-retrying');

      await step('locked store: the failed edit is listed with « Abandonner cette modification »', session, async () => {
        const list = await session.waitForElement($('unsaved-edits'));
        const text = await textContent(session, list);
        assert(text.includes(NAME) && text.includes('Abandonner cette modification'), `list: ${text}`);
      });

      await step('locked store: « Émettre la proposition » is refused, and says why', session, async () => {
        await gotoStep(session, 'proposition');
        const button = await session.waitForElement($('proposal-issue'), { timeout: 20_000 });
        assert((await button.property('disabled')) === true, 'the issue button is enabled');
        const why = await textContent(session, await session.find($('proposal-issue-blocked')));
        assert(/pas encore enregistrées/.test(why), `reason: ${why}`);
      });
      await shot(session, 'locked-issue-refused');
    });

    await step('locked store: the journal kept the name after the app closed', null, async () => {
      const entries = await journalEntries();
      assert(entries.some((e) => e.call?.participant?.name === NAME), `journal: ${JSON.stringify(entries)}`);
      const doc = await exported(visitId);
      assert(doc.visit.participants.find((p) => p.id === MARIE).name !== NAME, 'the store has the name already');
    });

    await step('store back: release the lock', null, async () => {
      await lock.release();
      lock = null;
    });
    await sleep(1_500);

    await withApp(step, 'store back: restart the app', async (session) => {
      await step('the journal is replayed on start: the name lands without opening the visit', session, async () => {
        await session.waitForElement($('nav-home'), { timeout: 30_000 });
        const deadline = Date.now() + 20_000;
        for (;;) {
          const doc = await exported(visitId);
          if (doc.visit.participants.find((p) => p.id === MARIE).name === NAME) break;
          assert(Date.now() < deadline, 'the name never reached the store');
          await sleep(200);
        }
        await waitJournal((e) => e.length === 0, 'empty once replayed');
      });
      await step('the visit shows the name, « Enregistré »', session, async () => {
        await openVisit(session, visitId);
        const name = await session.waitForElement(`${participantRow(MARIE)} ${$('participant-name')}`, { timeout: 20_000 });
        assert((await name.value()) === NAME, `name: ${await name.value()}`);
        await waitSaved(session);
        assert((await session.findAll($('unsaved-edits'))).length === 0, 'edits still listed as not saved');
      });

      await step('an edit abandoned while the store fails: the stored value comes back', session, async () => {
        const name = await session.find(`${participantRow(MARIE)} ${$('participant-name')}`);
        lock = await lockStore();
        await typeInto(session, name, 'Marie Abandon');
        await waitState(session, 'retrying');
        await shot(session, 'locked-abandon-offered');
        await click(session, await session.waitForElement($('unsaved-abandon')));
        const fresh = await session.waitFor(async () => {
          const input = await session.find(`${participantRow(MARIE)} ${$('participant-name')}`);
          return (await input.value()) === NAME ? input : null;
        }, { timeout: 20_000, message: 'the stored name back in the field' });
        assert(fresh, 'name');
        await waitJournal((e) => e.length === 0, 'empty once abandoned');
        await lock.release();
        lock = null;
        await waitSaved(session);
        assert((await exported(visitId)).visit.participants.find((p) => p.id === MARIE).name === NAME, 'stored name');
      });
    });
  } finally {
    await lock?.release();
  }
}

async function issueConfirmation(visitId) {
  await withApp(step, 'issue: start the app', async (session) => {
    await step('the issue confirmation lists the unjustified lines and the rules « à vérifier »', session, async () => {
      await openVisit(session, visitId);
      // The line edited above serves no objective any more.
      await gotoStep(session, 'equipements');
      const row = await session.waitForElement(lineRow, { timeout: 20_000 });
      for (const box of await row.findAll($('line-objective'))) {
        if (await box.property('checked')) await click(session, box);
      }
      await session.waitForElement(`${lineRow} ${$('line-unjustified')}`);
      await waitSaved(session);
      await gotoStep(session, 'proposition');
      const button = await session.waitFor(async () => {
        const b = await session.find($('proposal-issue'));
        return (await b.property('disabled')) ? null : b;
      }, { timeout: 20_000, message: '« Émettre la proposition » enabled' });
      await click(session, button);
      const dialog = await session.waitForElement($('issue-confirm'));
      const lines = await textContent(session, await dialog.find($('issue-confirm-unjustified')));
      assert(/aucun objectif/.test(lines) && lines.includes('ENI65'), `unjustified: ${lines}`);
      const rules = await dialog.findAll($('issue-confirm-rules'));
      if (rules.length > 0) {
        const text = await textContent(session, rules[0]);
        assert(/à vérifier|estimé/.test(text), `rules: ${text}`);
        console.log(`  # rules listed: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
      } else {
        console.log('  # no rule « à vérifier » funds this visit');
      }
      await session.execute('arguments[0].scrollIntoView({ block: "center" });', [dialog]);
    });
    await shot(session, 'issue-confirm');
  });
}

async function doctor() {
  const help = await run(CLI, ['--help']).then((r) => r.stdout).catch((e) => e.stdout ?? '');
  if (!/\bdoctor\b/.test(help)) {
    console.log('ok - preau-cli doctor # SKIP: this preau-cli has no doctor command');
    return;
  }
  await step('preau-cli doctor finds the store sound', null, async () => {
    const out = await cliIn(DATA, 'doctor');
    console.log(`  # ${out.trim().split('\n').at(-1)}`);
  });
}

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  let visitId;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'preau-twice-'));
  try {
    visitId = await step('import the schools and the example visit with preau-cli', null, () => importExampleVisit(DATA));
    SCHOOL = (await exported(visitId)).classes.find((c) => c.id === CLASS).school_id;
    if (!(await driverReachable())) return;

    await editCloseReopen(visitId, 'A', 'no server');

    await step('enroll the laptop to a server, sync, then stop the server', null, async () => {
      assert(SERVER, 'PREAU_SERVER is not set');
      const server = await startServer(tmp);
      const { stdout } = await run(SERVER, ['--data-dir', tmp, 'enroll', '--adviser', 'Test']);
      const code = stdout.trim().split(/\s+/).at(-1);
      await cliIn(DATA, 'enroll', server.url, code, '--allow-http');
      await cliIn(DATA, 'sync', '--allow-http');
      await server.stop();
      console.log(`  # enrolled to ${server.url}, now stopped`);
    });
    await editCloseReopen(visitId, 'B', 'enrolled, server down');

    await storeFails(visitId);
    await issueConfirmation(visitId);
    await doctor();
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('unexpected error', error);
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

await main();
finish();
