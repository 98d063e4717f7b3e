#!/usr/bin/env node
// End-to-end test of the real app: plan a visit in Péronne, record its participants and
// notes, restart the app on the same data directory, and find everything intact.
//
// Needs: tauri-driver listening on 127.0.0.1:4444 (started by the runner with
// PREAU_DATA_DIR set to a fresh directory, under xvfb-run and dbus-run-session).
// Env: PREAU_APP (path to the built binary), PREAU_SCREENSHOTS (optional directory).
import { mkdir } from 'node:fs/promises';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { newSession } from './webdriver.mjs';
import { $, assert, driverReachable, fail, finish, freshShot as shot, sleep, StopScenario, stepper } from './tap.mjs';

const APP = process.env.PREAU_APP;
const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;

const COMMUNE = 'Péronne';
// Typed as a French adviser does, whatever the system's locale (run.sh runs the app under
// the C locale): day first, 24 h.
const VISIT_DATE = '03/12/2026';
const VISIT_TIME = '18:00';
const PEOPLE = [
  { name: 'Marie Dupont', role: 'maire', email: 'marie.dupont@example.fr' },
  { name: 'Paul Martin', role: 'directeur', email: null },
];
const NOTES = 'Réunion en mairie : le conseil souhaite équiper les deux classes ; IEN à associer.';

/** Runs one step; a failed step stops the scenario (the next ones depend on it). */
const step = stepper();

async function waitSaveState(session, expected, timeout = 10_000) {
  const status = await session.find($('save-status'));
  await session.waitFor(async () => (await status.attribute('data-state')) === expected, {
    timeout,
    message: `save-status data-state="${expected}"`,
  });
  return status;
}

/** Adds a participant row and fills it; returns the row element. */
async function addParticipant(session, { name, role, email }, expectedRows) {
  await (await session.find($('add-participant'))).click();
  const rows = await session.waitFor(
    async () => {
      const found = await session.findAll($('participant-row'));
      return found.length === expectedRows ? found : null;
    },
    { message: `${expectedRows} participant row(s)` },
  );
  const row = rows[expectedRows - 1];
  const nameInput = await row.find($('participant-name'));
  await session.waitFor(async () => (await session.execute('return document.activeElement && document.activeElement.dataset.testid')) === 'participant-name', {
    message: 'focus on the new row’s name',
    timeout: 3_000,
  }).catch(() => nameInput.click());
  await nameInput.sendKeys(name);
  if (role) {
    const selected = await session.select(await row.find($('participant-role')), role);
    assert(selected === role, `role select shows ${selected}, expected ${role}`);
  }
  if (email) {
    const emailInput = await row.find($('participant-email'));
    await emailInput.click();
    await emailInput.sendKeys(email);
  }
  return row;
}

async function firstRun() {
  const session = await step('start the app (first session)', null, () => newSession(APP));
  try {
    // A new install: the welcome first (tests/e2e/welcome.e2e.mjs tests it).
    await step('the welcome: start offline, no directory, demo letterhead for now', session, async () => {
      await (await session.waitForElement($('welcome-offline'), { timeout: 30_000 })).click();
      await (await session.waitForElement($('welcome-next'))).click();
      await (await session.waitForElement($('welcome-skip-letterhead'))).click();
    });
    await step('the app opens on its main screen', session, async () => {
      await session.waitForElement($('nav-communes'), { timeout: 30_000 });
    });
    await shot(session, 'home-empty');

    await step('go to the commune search', session, async () => {
      await (await session.find($('nav-communes'))).click();
      const input = await session.waitForElement($('search-input'));
      const focused = await session.execute('return document.activeElement && document.activeElement.dataset.testid');
      assert(focused === 'search-input', `the search box is not focused on arrival (focus on ${focused})`);
      await input.sendKeys('peronne');
    });

    const hit = await step(`a result "${COMMUNE}" appears while typing`, session, () =>
      session.waitFor(
        async () => {
          for (const result of await session.findAll($('search-result'))) {
            if ((await result.text()).includes(COMMUNE)) return result;
          }
          return null;
        },
        { message: `a search-result containing "${COMMUNE}"` },
      ),
    );
    await shot(session, 'search-peronne');

    await step('open the commune sheet', session, async () => {
      await hit.click();
      const title = await session.waitForElement($('commune-name'));
      await session.waitFor(async () => (await title.text()).trim() === COMMUNE, { message: `commune-name "${COMMUNE}"` });
    });
    await shot(session, 'commune-sheet');

    await step(`plan a visit on ${VISIT_DATE} at ${VISIT_TIME}`, session, async () => {
      const date = await session.find($('plan-visit-date'));
      const time = await session.find($('plan-visit-time'));
      await date.clear();
      await date.sendKeys(VISIT_DATE);
      await time.clear();
      await time.sendKeys(VISIT_TIME);
      assert((await date.attribute('data-value')) === '2026-12-03', `« ${VISIT_DATE} » is 3 December`);
      assert((await time.attribute('data-value')) === '18:00', `« ${VISIT_TIME} » is 18:00`);
      const locale = await session.execute('return Intl.DateTimeFormat().resolvedOptions().locale;');
      console.log(`  the window's locale: ${locale}`);
      await (await session.find($('plan-visit-submit'))).click();
      const header = await session.waitForElement($('visit-header'), { timeout: 10_000 });
      await session.waitFor(async () => (await header.text()).includes(COMMUNE), { message: 'visit header naming the commune' });
      const text = await header.text();
      assert(text.includes('3\u00a0décembre\u00a02026') || text.includes('3 décembre 2026'), `visit header date: ${JSON.stringify(text)}`);
    });

    await step('add two participants', session, async () => {
      await addParticipant(session, PEOPLE[0], 1);
      await addParticipant(session, PEOPLE[1], 2);
    });

    await step('type notes', session, async () => {
      const notes = await session.find($('visit-notes'));
      await notes.click();
      await notes.sendKeys(NOTES);
    });

    await step('everything is saved (save-status "saved")', session, async () => {
      const status = await waitSaveState(session, 'saved');
      const text = await status.text();
      assert(text.includes('Enregistré'), `save-status text: ${JSON.stringify(text)}`);
    });
    await shot(session, 'visit-saved');

    await step('an invalid email is refused with an inline French message', session, async () => {
      const row = await addParticipant(session, { name: 'Claire Essai', role: 'enseignant', email: 'pas-un-courriel' }, 3);
      const status = await waitSaveState(session, 'error');
      const statusText = await status.text();
      assert(statusText.includes('Non enregistré'), `save-status text: ${JSON.stringify(statusText)}`);
      const email = await row.find($('participant-email'));
      await session.waitFor(async () => (await email.attribute('aria-invalid')) === 'true', { message: 'aria-invalid on the email input' });
      const describedBy = await email.attribute('aria-describedby');
      assert(describedBy, 'the email input has no aria-describedby');
      const message = await (await session.find(`[id="${describedBy}"]`)).text();
      assert(message.trim().length > 0, 'the inline error is empty');
      assert(!/\b(invalid|error|expected|failed)\b/i.test(message), `the inline error is not French: ${JSON.stringify(message)}`);
      assert(/[éèêàçù]|courriel|adresse|e-mail/i.test(message), `the inline error does not read as French: ${JSON.stringify(message)}`);
      console.log(`  inline error: ${message.trim()}`);
    });
    await shot(session, 'visit-invalid-email');

    await step('delete the refused row; the status goes back to "saved"', session, async () => {
      const rows = await session.findAll($('participant-row'));
      await (await rows[2].find($('participant-delete'))).click();
      await session.waitFor(async () => (await session.findAll($('participant-row'))).length === 2, { message: '2 participant rows' });
      await waitSaveState(session, 'saved');
    });
    await shot(session, 'visit-after-delete');
  } finally {
    await session.delete().catch((error) => console.log(`  (delete session: ${error.message})`));
  }
}

async function secondRun() {
  // Let the first app process exit before starting another one on the same data.
  await sleep(1_500);
  const session = await step('restart the app (second session, same data)', null, () => newSession(APP));
  try {
    await step('home lists the visit in Péronne', session, async () => {
      await session.waitForElement($('nav-home'), { timeout: 30_000 });
      await (await session.find($('nav-home'))).click();
      const visit = await session.waitFor(
        async () => {
          for (const item of await session.findAll($('home-visit'))) {
            if ((await item.text()).includes(COMMUNE)) return item;
          }
          return null;
        },
        { message: `a home-visit for ${COMMUNE}` },
      );
      const text = await visit.text();
      assert(/2\s*participants/.test(text.replace(/\u00a0/g, ' ')), `home visit summary: ${JSON.stringify(text)}`);
      await shot(session, 'home-after-restart');
      await visit.click();
      await session.waitForElement($('visit-header'));
    });

    await step('both participants, their roles and email are intact', session, async () => {
      const rows = await session.waitFor(
        async () => {
          const found = await session.findAll($('participant-row'));
          return found.length === 2 ? found : null;
        },
        { message: 'exactly 2 participant rows' },
      );
      const seen = [];
      for (const row of rows) {
        seen.push({
          name: await (await row.find($('participant-name'))).value(),
          role: await (await row.find($('participant-role'))).value(),
          email: (await (await row.find($('participant-email'))).value()) || null,
        });
      }
      for (const person of PEOPLE) {
        const match = seen.find((s) => s.name === person.name);
        assert(match, `participant ${person.name} is missing; found ${JSON.stringify(seen)}`);
        assert(match.role === person.role, `${person.name}: role ${match.role}, expected ${person.role}`);
        assert(match.email === person.email, `${person.name}: email ${match.email}, expected ${person.email}`);
      }
    });

    await step('the notes are intact', session, async () => {
      const notes = await (await session.find($('visit-notes'))).value();
      assert(notes === NOTES, `notes: ${JSON.stringify(notes)}`);
    });
    await shot(session, 'visit-after-restart');
  } finally {
    await session.delete().catch((error) => console.log(`  (delete session: ${error.message})`));
  }
  await sleep(1_000);
  // Issue 12: a copy of the data directory shows none of what was typed (store, WAL,
  // backups, the journal of edits waiting, documents), and another user can open nothing.
  await step('no name, email or note is readable in any file of the data directory', null, async () => {
    const files = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          assert((statSync(full).mode & 0o777) === 0o700, `${full} is not 0700`);
          walk(full);
        } else files.push(full);
      }
    };
    assert((statSync(DATA).mode & 0o777) === 0o700, 'the data directory is not 0700');
    walk(DATA);
    assert(files.some((f) => f.endsWith('preau.db')), `no store among ${files}`);
    const secrets = [...PEOPLE.map((p) => p.name), 'marie.dupont@example.fr', 'IEN à associer'];
    for (const file of files) {
      assert((statSync(file).mode & 0o777) === 0o600, `${file} is not 0600`);
      const bytes = readFileSync(file);
      for (const secret of secrets) {
        assert(!bytes.includes(Buffer.from(secret)), `« ${secret} » is readable in ${file}`);
      }
    }
  });
}

async function main() {
  if (!APP) {
    console.log('PREAU_APP is not set: give the path to the built preau binary.');
    fail('configuration', new Error('PREAU_APP missing'));
    return;
  }
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  if (!(await driverReachable())) return;
  try {
    await firstRun();
    await secondRun();
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('unexpected error', error);
  }
}

await main();
finish();
