#!/usr/bin/env node
// End-to-end test of the « Proposition » step in the real app: import Péronne's schools and
// the example visit with the CLI, open the visit, choose the mayor's civility and the
// validity, issue the proposal (after its confirmation), check its reference and status,
// save it (PREAU_SAVE_DIR bypasses the native dialog) and check the saved PDF with
// pdftotext and its SHA-256 against the one shown, then make a second revision, preview it
// (a draft marked « PROJET »), and record the mayor's answer to the first one.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, PREAU_SAVE_DIR (where « Enregistrer sous… »
// writes; run.sh sets it per test), TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
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
  freshShot as shot,
  gotoStep,
  importExampleVisit,
  openVisit,
  sleep,
  StopScenario,
  stepper,
  textContent,
  withApp,
} from './tap.mjs';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOGO = path.resolve(HERE, '../../data/letterhead/logo-demo.png');

const DATA = process.env.PREAU_DATA_DIR;
const SAVE_DIR = process.env.PREAU_SAVE_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;

const step = stepper({ prefix: 'prop-', screenshot: shot });
const cli = (...args) => cliIn(DATA, ...args);

async function pdfText(file) {
  const { stdout } = await run('pdftotext', ['-layout', file, '-'], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function waitSaved(session) {
  const status = await session.find($('save-status'));
  await sleep(50);
  await session.waitFor(async () => (await status.attribute('data-state')) === 'saved', {
    message: 'save-status data-state="saved"',
  });
}

/** Whether `name` is a program on PATH (the print check depends on `lp`). */
async function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      await access(path.join(dir, name));
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** The notice under an issued revision, once it says something. */
async function revisionNotice(session, id) {
  return session.waitFor(
    async () => {
      const card = await session.find(`${$('proposal-issued')}[data-id="${id}"]`);
      const notices = await card.findAll($('proposal-notice'));
      return notices.length > 0 ? textContent(session, notices[0]) : null;
    },
    { timeout: 20_000, message: `notice of proposal ${id}` },
  );
}

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  let visitId;
  try {
    visitId = await step('import the schools and the example visit with preau-cli', null, async () => {
      assert(SAVE_DIR, 'PREAU_SAVE_DIR is not set (run through tests/e2e/run.sh)');
      return importExampleVisit(DATA);
    });
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up', error);
    return;
  }
  if (!(await driverReachable())) return;
  await withApp(step, 'start the app', (session) => scenario(session, visitId));
}

async function scenario(session, visitId) {
  let issuedId;
  let reference;
  let sha;

  await step('open the visit and its « Proposition » step', session, async () => {
    await openVisit(session, visitId);
    await gotoStep(session, 'proposition');
    const draft = await session.waitForElement($('proposal-draft'), { timeout: 15_000 });
    assert((await draft.attribute('data-revision')) === '1', 'the first draft is revision 1');
    const boxes = await session.findAll($('proposal-scenario'));
    assert(boxes.length === 2, `${boxes.length} scenario checkboxes`);
    for (const box of boxes) assert((await box.property('checked')) === true, 'every scenario with lines is proposed');
  });

  await step('choose « Madame la Maire » and a validity of 60 days', session, async () => {
    await click(session, await session.find($('civility-madame')));
    await waitSaved(session);
    const days = await session.find($('proposal-days'));
    await session.setValue(days, '400');
    const error = await session.waitForElement('#proposal-days-error');
    assert((await textContent(session, error)).includes('1 à 365'), '400 days is refused inline');
    await session.setValue(days, '60');
    await session.waitFor(async () => (await session.findAll('#proposal-days-error')).length === 0, {
      message: 'the validity error goes away',
    });
    await waitSaved(session);
  });
  await shot(session, 'draft', 'prop-');

  await step('« Émettre la proposition » asks for a confirmation, then numbers it', session, async () => {
    await click(session, await session.find($('proposal-issue')));
    const confirm = await session.waitForElement($('issue-confirm'));
    assert((await textContent(session, confirm)).includes('ne pourront plus changer'), 'the confirmation says it is final');
    await shot(session, 'issue-confirm', 'prop-');
    await click(session, await session.find($('proposal-issue-confirm')));
    const card = await session.waitForElement($('proposal-issued'), { timeout: 20_000 });
    issuedId = await card.attribute('data-id');
    reference = await textContent(session, await card.find($('proposal-reference')));
    assert(/^\d{4}-[0-9A-Z]{5}-\d{4} rév.\u00a01$/.test(reference), `reference ${JSON.stringify(reference)}`);
    const status = await textContent(session, await card.find($('proposal-status')));
    assert(status === 'Émise', `status ${JSON.stringify(status)}`);
    sha = await (await card.find($('proposal-sha'))).attribute('data-sha');
    assert(/^[0-9a-f]{64}$/.test(sha), `sha ${sha}`);
    const shortSha = await textContent(session, await card.find($('proposal-sha')));
    assert(shortSha.replace(/\s/g, '') === sha.slice(0, 16), `short sha ${JSON.stringify(shortSha)}`);
    assert((await session.findAll($('proposal-draft'))).length === 0, 'no draft left after the issue');
    assert((await session.findAll($('proposal-new-revision'))).length === 1, '« Nouvelle révision » is offered');
  });
  await shot(session, 'issued', 'prop-');

  await step('the CLI sees the same proposal, valid 60 days', null, async () => {
    const line = (await cli('proposals', 'list', visitId)).trim().split('\n').find((l) => l.startsWith(issuedId));
    assert(line, 'the issued proposal is listed by the CLI');
    const [, ref, label, issuedOn, validUntil, cliSha] = line.split('\t');
    assert(ref === reference.replace('\u00a0', ' '), `CLI reference ${ref}`);
    assert(label === 'Émise', `CLI status ${label}`);
    assert(cliSha === sha, 'CLI sha');
    const days = (Date.parse(validUntil) - Date.parse(issuedOn)) / 86_400_000;
    assert(days === 60, `valid ${days} days`);
  });

  let saved;
  await step('« Enregistrer sous… » writes the frozen PDF (PREAU_SAVE_DIR)', session, async () => {
    await click(session, await session.find(`${$('proposal-issued')}[data-id="${issuedId}"] ${$('proposal-save')}`));
    const text = await revisionNotice(session, issuedId);
    assert(text.startsWith('Enregistrée'), `notice ${JSON.stringify(text)}`);
    saved = text.slice(text.indexOf(SAVE_DIR)).trim();
    assert(saved.startsWith(SAVE_DIR) && saved.endsWith('.pdf'), `saved path ${JSON.stringify(saved)}`);
    const bytes = await readFile(saved);
    const digest = createHash('sha256').update(bytes).digest('hex');
    assert(digest === sha, `SHA-256 of the saved file ${digest} ≠ ${sha} shown`);
  });

  await step('the saved PDF names Péronne, pages and its reference, without « PROJET »', null, async () => {
    const text = await pdfText(saved);
    assert(text.includes('Péronne'), 'no « Péronne » in the PDF');
    assert(/Page 1 \//.test(text), 'no « Page 1 / » in the PDF');
    const number = reference.split(' ')[0];
    assert(text.includes(number), `no ${number} in the PDF`);
    assert(!text.includes('PROJET'), 'an issued proposal says « PROJET »');
    assert(!text.includes('Document de travail'), 'an issued proposal says it is a draft');
    assert(text.includes('Madame la Maire'), 'the civility chosen is not in the PDF');
  });

  await step('« Imprimer » sends to CUPS, or says clearly that there is no printer', session, async () => {
    const hasLp = await onPath('lp');
    await click(session, await session.find(`${$('proposal-issued')}[data-id="${issuedId}"] ${$('proposal-print')}`));
    const text = await session.waitFor(
      async () => {
        const t = await revisionNotice(session, issuedId);
        return t.startsWith('Enregistrée') ? null : t;
      },
      { timeout: 20_000, message: 'print outcome' },
    );
    if (!hasLp) {
      assert(text.includes('Aucune imprimante n’est configurée') || text.includes("Aucune imprimante n'est configurée"), `print notice ${JSON.stringify(text)}`);
    }
    console.log(`  print: ${text}`);
  });

  await step('« Nouvelle révision » makes a draft of revision 2 that replaces the first', session, async () => {
    await click(session, await session.find($('proposal-new-revision')));
    const draft = await session.waitForElement($('proposal-draft'));
    assert((await draft.attribute('data-revision')) === '2', 'the new draft is revision 2');
    const text = await textContent(session, draft);
    assert(text.includes('Révision 2'), 'the draft says « Révision 2 »');
    assert(text.includes(`remplacera la proposition ${reference.replace('\u00a0', ' ')}`), `replaces: ${JSON.stringify(text.slice(0, 200))}`);
    assert((await (await session.find($('civility-madame'))).property('checked')) === true, 'the civility is carried over');
    assert((await (await session.find($('proposal-days'))).value()) === '60', 'the validity is carried over');
    const status = await textContent(session, await session.find(`${$('proposal-issued')}[data-id="${issuedId}"] ${$('proposal-status')}`));
    assert(status === 'Émise', 'revision 1 is still issued');
  });

  await step('« Aperçu (PROJET) » writes the draft marked « PROJET »', session, async () => {
    await click(session, await session.find($('proposal-preview')));
    const notice = await session.waitForElement($('draft-notice'), { timeout: 20_000 });
    const text = await textContent(session, notice);
    const file = /(\/\S+\.pdf)/.exec(text)?.[1];
    assert(file && file.startsWith(path.join(DATA, 'documents')), `preview notice ${JSON.stringify(text)}`);
    const pdf = await pdfText(file);
    // The « PROJET » watermark is drawn rotated (pdftotext leaves it out); a draft also
    // says in words that it is only a working document.
    assert(pdf.includes('Document de travail'), 'the preview does not say it is a draft');
    assert(pdf.includes('Péronne'), 'the preview does not name Péronne');
  });
  await shot(session, 'revision-2', 'prop-');

  await step('« Acceptée » asks which scenario and the deliberation date, then records them', session, async () => {
    const card = await session.find(`${$('proposal-issued')}[data-id="${issuedId}"]`);
    await click(session, await card.find($('proposal-accepted')));
    const radios = await session.waitFor(async () => {
      const found = await session.findAll($('accept-scenario'));
      return found.length > 0 ? found : null;
    });
    assert(radios.length === 2, `${radios.length} scenarios offered`);
    for (const r of radios) assert((await r.property('checked')) === false, 'two scenarios: none preselected');
    // Confirming without a scenario is refused in the dialog, nothing recorded.
    await click(session, await session.find($('proposal-decide-confirm')));
    const error = await textContent(session, await session.waitForElement($('accept-error')));
    assert(error.includes('plusieurs'), `no scenario: ${JSON.stringify(error)}`);
    await shot(session, 'accept-ask', 'prop-');
    // A deliberation before the issue is refused by the core, at its field.
    const [b] = await Promise.all(radios.map(async (r) => ((await r.attribute('data-label')) === 'B' ? r : null))).then((l) => l.filter(Boolean));
    await click(session, b);
    const date = await session.find($('accept-deliberation'));
    await session.setValue(date, '01/01/2020');
    await click(session, await session.find($('proposal-decide-confirm')));
    await session.waitFor(async () => (await textContent(session, await session.find($('accept-error')))).includes('délibération'), {
      message: 'deliberation before the issue refused',
    });
    await session.setValue(date, '12/01/2027');
    await shot(session, 'accept-b', 'prop-');
    await click(session, await session.find($('proposal-decide-confirm')));
    await session.waitFor(
      async () => (await textContent(session, await session.find(`${$('proposal-issued')}[data-id="${issuedId}"] ${$('proposal-status')}`))) === 'Acceptée',
      { message: 'status Acceptée' },
    );
    const answer = await textContent(session, await session.find(`${$('proposal-issued')}[data-id="${issuedId}"] ${$('proposal-answer')}`));
    assert(answer === 'Acceptée — scénario\u00a0B, délibération du 12\u00a0janvier\u00a02027', `answer ${JSON.stringify(answer)}`);
    const listed = await cli('proposals', 'list', visitId);
    assert(listed.includes('Acceptée'), `CLI list ${listed}`);
    const again = await session.findAll(`${$('proposal-issued')}[data-id="${issuedId}"] ${$('proposal-accepted')}`);
    assert(again.length === 0, 'an answered proposal still offers « Acceptée »');
  });
  await shot(session, 'accepted', 'prop-');

  await step('« Réglages » : the letterhead form refuses an empty name inline, then saves', session, async () => {
    await (await session.find($('nav-settings'))).click();
    const org = await session.waitForElement($('settings-organisation'));
    assert((await org.value()) === 'Somme numérique', `organisation ${await org.value()}`);
    await shot(session, 'settings-top', 'prop-');
    await session.setValue(org, '  ');
    await click(session, await session.find($('settings-save')));
    const error = await session.waitForElement('#settings-organisation-error');
    assert((await textContent(session, error)).includes('obligatoire'), 'empty organisation refused inline');
    await session.setValue(org, 'Syndicat numérique de la Somme');
    await session.setValue(await session.find($('settings-place')), 'Abbeville');
    await session.setValue(await session.find($('settings-adviser_name')), 'Claire Martin');
    await session.setValue(await session.find($('settings-address_lines')), '12 rue des Écoles\n\n80100 Abbeville\n');
    await click(session, await session.find($('settings-save')));
    await session.waitForElement($('settings-saved'));
    const saved = JSON.parse(await cli('settings', 'show'));
    assert(saved.organisation === 'Syndicat numérique de la Somme', `saved organisation ${saved.organisation}`);
    assert(saved.place === 'Abbeville' && saved.adviser_name === 'Claire Martin', 'place and adviser saved');
    assert(JSON.stringify(saved.address_lines) === JSON.stringify(['12 rue des Écoles', '80100 Abbeville']), `address ${saved.address_lines}`);
  });

  await step('the logo can be removed and set again from a PNG file', session, async () => {
    await click(session, await session.find($('settings-logo-remove')));
    await session.waitFor(async () => (await textContent(session, await session.find($('settings-logo')))).includes('Aucun logo'), {
      message: '« Aucun logo »',
    });
    assert(JSON.parse(await cli('settings', 'show')).has_logo === false, 'the logo is still set');
    const input = await session.find($('settings-logo-file'));
    await input.sendKeys(LOGO);
    await session.waitForElement(`${$('settings-logo')} img`);
    assert(JSON.parse(await cli('settings', 'show')).has_logo === true, 'the logo was not set');
  });
  await step('« Couleur d’accent » : a light colour is refused in French, a dark one is the app’s accent', session, async () => {
    const input = await session.find($('settings-accent'));
    // The colour picker is a native dialog: set the value as it would, then save.
    const pick = (hex) =>
      session.execute(
        'const i = arguments[0]; i.value = arguments[1]; i.dispatchEvent(new Event("input", { bubbles: true })); return i.value;',
        [input, hex],
      );
    await pick('#f6c343');
    await click(session, await session.find($('settings-save')));
    const error = await session.waitForElement('#settings-accent-error');
    assert((await textContent(session, error)).includes('trop claire'), 'a light accent refused inline');
    assert(JSON.parse(await cli('settings', 'show')).accent === '#1d4e89', 'the refused colour was saved');
    await pick('#2e6b3a');
    await click(session, await session.find($('settings-save')));
    await session.waitForElement($('settings-saved'));
    assert(JSON.parse(await cli('settings', 'show')).accent === '#2e6b3a', 'the accent was not saved');
    const navy = await session.execute('return getComputedStyle(document.documentElement).getPropertyValue("--navy").trim();');
    assert(navy === '#2e6b3a', `the app's accent is ${navy}`);
  });
  await shot(session, 'settings', 'prop-');

  await step('the next draft carries the new letterhead', null, async () => {
    const draftId = (await cli('proposals', 'list', visitId)).trim().split('\n').find((l) => l.includes('\tBrouillon\t'))?.split('\t')[0];
    assert(draftId, 'no draft listed by the CLI');
    const out = path.join(SAVE_DIR, 'draft-after-settings.pdf');
    await cli('proposals', 'render', draftId, '--out', out);
    const text = await pdfText(out);
    for (const words of ['Syndicat numérique de la Somme', 'Abbeville, le', 'Claire Martin']) {
      assert(text.includes(words), `no « ${words} » in the draft`);
    }
  });
}

await main();
finish();
