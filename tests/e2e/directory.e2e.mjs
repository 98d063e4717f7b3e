#!/usr/bin/env node
// End-to-end test of the national school directory in the real app: the 2026 export,
// re-saved by Excel in Windows-1252, is imported through the commune sheet's file button;
// the report counts the multi-site école once; the école « à fermer » is shown as such and
// is not offered in a visit; a file with bad rows is refused with its real line numbers
// (CRLF) and changes nothing.
//
// Needs what tests/e2e/run.sh gives (tauri-driver, PREAU_APP, PREAU_CLI, PREAU_DATA_DIR).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, assert, click, cliIn, driverReachable, finish, freshShot, gotoStep, openVisit, stepper, textContent, withApp } from './tap.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = process.env.PREAU_DATA_DIR;
const step = stepper({ prefix: 'directory-', screenshot: freshShot });

/** The 2026 fixture as Excel on Windows saves it: Windows-1252, no BOM. */
function excelCopy() {
  const text = readFileSync(path.resolve(HERE, '../../crates/preau-reference/tests/fixtures/annuaire-education-2026-somme.csv'), 'utf8').replace(/^\uFEFF/, '');
  // Every character of the fixture is in Latin-1, where Windows-1252 agrees with it.
  assert(!/[^\u0000-\u00ff]/.test(text), 'the fixture fits in Windows-1252');
  const file = path.join(DATA, 'annuaire-excel.csv');
  writeFileSync(file, Buffer.from(text, 'latin1'));
  return file;
}

async function schoolRows(session) {
  return Promise.all((await session.findAll($('school-row'))).map((r) => textContent(session, r)));
}

async function main() {
  if (!(await driverReachable())) return;
  // The adviser already has a visit planned in Péronne (so no welcome screen), no school.
  const visitId = (await cliIn(DATA, 'visits', 'create', '--commune', '80620', '--at', '2026-12-03T18:00')).trim();
  const excel = excelCopy();
  const errors = path.resolve(HERE, '../../crates/preau-reference/tests/fixtures/annuaire-education-erreurs.csv');

  await withApp(step, 'start the app', async (session) => {
    await step('the commune sheet of Péronne opens', session, async () => {
      await session.waitForElement($('nav-communes'), { timeout: 30_000 });
      await session.execute('location.hash = "#/communes/80620";');
      await session.waitForElement($('commune-name'), { timeout: 20_000 });
    });

    await step('the Excel copy of the 2026 directory imports without a question', session, async () => {
      await (await session.find($('schools-import'))).sendKeys(excel);
      const report = await session.waitForElement($('import-report'), { timeout: 30_000 });
      const text = (await textContent(session, report)).replace(/\s+/g, ' ');
      assert(/10 écoles ajoutées/.test(text), `report: ${text}`);
      assert(/1 ligne d’un établissement multi-sites comptée une fois/.test(text), `report: ${text}`);
      // The report is shown before the sheet's schools are read again.
      await session.waitFor(async () => (await schoolRows(session)).some((r) => r.includes('Jean Jaurès')), {
        message: 'the imported schools listed',
      });
      await freshShot(session, 'imported', 'directory-');
    });

    await step('accents survive Windows-1252 and the closing école is shown « à fermer »', session, async () => {
      const rows = await schoolRows(session);
      assert(rows.some((r) => r.includes('École maternelle Jean Jaurès')), `rows: ${rows}`);
      const peupliers = rows.find((r) => r.includes('École maternelle des Peupliers'));
      assert(peupliers && peupliers.includes('à fermer'), `rows: ${rows}`);
      const open = rows.filter((r) => !r.includes('Peupliers'));
      assert(open.every((r) => !r.includes('à fermer')), `rows: ${rows}`);
    });

    await step('a file with bad rows is refused with its real lines, nothing changes', session, async () => {
      const before = await schoolRows(session);
      await (await session.find($('schools-import'))).sendKeys(errors);
      const shown = await session.waitForElement($('import-error'), { timeout: 30_000 });
      const text = (await textContent(session, shown)).replace(/\s+/g, ' ');
      for (const line of ['Ligne 3', 'Ligne 4', 'Ligne 6', 'Ligne 7']) {
        assert(text.includes(line), `${line} missing in: ${text}`);
      }
      assert(!text.includes('Ligne 5'), `the collège (line 5) is not an error: ${text}`);
      const after = await schoolRows(session);
      assert(JSON.stringify(after) === JSON.stringify(before), 'the schools did not change');
      await freshShot(session, 'refused', 'directory-');
    });

    await step('the visit offers the open écoles only, and says one is left out', session, async () => {
      await openVisit(session, visitId);
      await gotoStep(session, 'participants');
      const labels = await Promise.all(
        (await session.findAll($('school-check'))).map((c) => session.execute('return arguments[0].closest("label").textContent;', [c])),
      );
      assert(labels.length === 3, `offered: ${labels}`);
      assert(!labels.some((l) => l.includes('Peupliers')), `offered: ${labels}`);
      const note = await textContent(session, await session.find($('schools-not-offered')));
      assert(note.includes('à fermer'), note);
      await freshShot(session, 'visit-schools', 'directory-');
    });

    await step('the CLI sees the same schools after the window imported them', session, async () => {
      const list = await cliIn(DATA, 'schools', 'list', '80620');
      assert(list.includes('Peupliers'), list);
      await click(session, await session.find($('nav-communes')));
    });
  });
}

await main();
finish();
