// The back-office in a real browser: Debian's Chromium, headless, through chromedriver
// (W3C WebDriver, the e2e tests' dependency-free client), against a preau-server holding
// demo data (the Rust test `backoffice_browser` starts it and runs this file).
//
// Logs in, opens the dashboard, filters the visits, opens a visit and its PDF (checked
// against the SHA-256 the page shows), launches a campaign and downloads its XLSX and
// CSV, dates a follow-up step, opens a commune's timeline and the balance sheet and its
// XLSX, revokes a laptop, enrolls one (its code and QR code), publishes a catalogue from
// the Référentiel page (uploaded, previewed, published), reads the audit log, logs out;
// axe-core on every page: no serious or critical violation.
//
// node browser.mjs BASE_URL CHROMEDRIVER_URL [SCREENSHOT_DIR]
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../e2e/webdriver.mjs';
import { assert, fail, finish, ok } from '../e2e/tap.mjs';

const [base, driverUrl, shots] = process.argv.slice(2);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const AXE = await readFile(path.join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'un mot de passe assez long';

async function newChromium() {
  const response = await fetch(`${driverUrl}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      capabilities: {
        alwaysMatch: {
          browserName: 'chrome',
          'goog:chromeOptions': {
            binary: process.env.CHROMIUM ?? '/usr/bin/chromium',
            args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1366,900', '--lang=fr-FR'],
          },
        },
      },
    }),
  });
  const payload = await response.json();
  if (!response.ok) throw new Error(`chromedriver: ${JSON.stringify(payload).slice(0, 500)}`);
  return new Session(payload.value.sessionId, driverUrl);
}

const s = await newChromium();
let shotIndex = 0;

async function go(pathname) {
  await s.cmd('POST', '/url', { url: `${base}${pathname}` });
}

async function title() {
  return s.execute('return document.querySelector("h1")?.textContent ?? ""');
}

/** axe-core on the page as it is: no serious or critical violation. */
async function audit(name) {
  // WebDriver scripts are not bound by the page's CSP (which allows no script).
  await s.execute(`${AXE}; return true;`);
  const violations = await s.cmd('POST', '/execute/async', {
    script: `const done = arguments[arguments.length - 1];
      axe.run(document, { resultTypes: ['violations'] })
        .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }))))
        .catch((e) => done([{ id: 'axe-error', impact: 'critical', help: String(e) }]));`,
    args: [],
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations) console.log(`  axe ${name}: ${v.impact} ${v.id} (${v.nodes ?? 0}) ${v.help}`);
  assert(bad.length === 0, `${name}: ${bad.length} serious or critical axe violation(s)`);
  if (shots) {
    shotIndex += 1;
    const file = path.join(shots, `bureau-${String(shotIndex).padStart(2, '0')}-${name}.png`);
    await s.screenshot(file);
    console.log(`  screenshot: ${file}`);
  }
}

/** The session cookie, for fetching a download as this browser would. */
async function cookieHeader() {
  const cookies = await s.cmd('GET', '/cookie');
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

async function download(href) {
  const response = await fetch(new URL(href, base), { headers: { cookie: await cookieHeader() }, redirect: 'manual' });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function step(label, body) {
  try {
    await body();
    ok(label);
  } catch (error) {
    fail(label, error);
  }
}

await step('an anonymous visitor gets the login page', async () => {
  await go('/bureau');
  assert((await title()) === 'Connexion', `title: ${await title()}`);
  await audit('connexion');
});

await step('log in', async () => {
  await s.setValue(await s.find('input[name=email]'), 'coord@syndicat.test');
  await s.setValue(await s.find('input[name=password]'), PASSWORD);
  await (await s.find('form button[type=submit]')).click();
  await s.waitFor(async () => (await title()) === 'Tableau de bord', { message: 'the dashboard' });
  const cookies = await s.cmd('GET', '/cookie');
  const session = cookies.find((c) => c.name === 'preau_session');
  assert(session && session.httpOnly && session.sameSite === 'Strict', `session cookie ${JSON.stringify(session)}`);
});

await step('the dashboard', async () => {
  const text = await s.execute('return document.body.innerText');
  for (const expected of ['Acceptée', 'Émise, en attente', 'Par conseiller', 'Par EPCI', 'Par mois d’émission']) {
    assert(text.includes(expected), `dashboard shows ${expected}`);
  }
  await audit('tableau-de-bord');
});

await step('see the map and click a commune', async () => {
  await go('/bureau/carte');
  assert((await title()) === 'Carte', `title: ${await title()}`);
  const [paths, rows, accepted] = await s.execute(`return [
    document.querySelectorAll('svg.map path[data-insee]').length,
    document.querySelectorAll('tbody tr[data-insee]').length,
    document.querySelector('path[data-insee="80620"]').getAttribute('class')]`);
  assert(paths === 771 && rows === 771 && accepted === 'acceptee', `${paths} paths, ${rows} rows, Péronne ${accepted}`);
  const [paint, bytes] = await s.execute(`return [
    performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    performance.getEntriesByType('navigation')[0]?.transferSize ?? -1]`);
  console.log(`  map: first contentful paint ${Math.round(paint)} ms, ${bytes} bytes transferred`);
  await audit('carte');
  await (await s.find('svg.map a[href$="commune=80620"] path')).click();
  await s.waitFor(async () => (await s.url()).includes('/bureau/visites?commune=80620'), { message: 'Péronne’s visits' });
  const communes = await s.execute('return [...document.querySelectorAll("tbody tr td:nth-child(2)")].map((td) => td.textContent)');
  assert(communes.length > 0 && communes.every((c) => c.includes('Péronne')), `rows: ${communes}`);
});

let visitHref;
await step('filter the visits', async () => {
  await go('/bureau/visites');
  const before = await s.execute('return document.querySelector("[role=status]").textContent');
  await s.select(await s.find('select[name=conseiller]'), 'Paul Durand');
  await (await s.find('form.filters button')).click();
  await s.waitFor(async () => (await s.url()).includes('conseiller=Paul'), { message: 'the filtered list' });
  const after = await s.execute('return document.querySelector("[role=status]").textContent');
  assert(after !== before && after.startsWith('3 visite(s)'), `${before} → ${after}`);
  const advisers = await s.execute('return [...document.querySelectorAll("tbody tr td:nth-child(4)")].map((td) => td.textContent)');
  assert(advisers.length === 3 && advisers.every((a) => a === 'Paul Durand'), `rows: ${advisers}`);
  await audit('visites');
  visitHref = await s.execute('return document.querySelector("tbody a").getAttribute("href")');
});

await step('open a visit and its issued PDF, checked against its SHA-256', async () => {
  await go(visitHref);
  await audit('visite');
  const [href, shown] = await s.execute(`return [
    document.querySelector('a[href$="/pdf"]').getAttribute('href'),
    document.querySelector('.hash').textContent]`);
  const { response, bytes } = await download(href);
  assert(response.status === 200, `PDF: HTTP ${response.status}`);
  assert(response.headers.get('content-type') === 'application/pdf', 'a PDF');
  const sha = createHash('sha256').update(bytes).digest('hex');
  assert(sha === shown && sha === response.headers.get('x-content-sha256'), `${sha} vs ${shown}`);
});

await step('an accepted visit says which scenario, and the deliberation date', async () => {
  await go('/bureau/visites?statut=acceptee');
  await go(await s.execute('return document.querySelector("tbody a").getAttribute("href")'));
  const said = await s.execute('return document.querySelector("[data-testid=accepted-scenario]")?.textContent ?? ""');
  assert(said.includes('B — Écrans seulement') && said.includes('délibération du conseil municipal'), `accepted: ${said}`);
  await s.execute('document.querySelector("[data-testid=accepted-scenario]").scrollIntoView({ block: "start" })');
  await audit('visite-acceptee');
});

await step('launch a campaign and download its demand', async () => {
  await go('/bureau/recensement');
  await audit('recensement');
  await s.setValue(await s.find('input[name=name]'), 'Rentrée 2027');
  await s.setValue(await s.find('input[name=cutoff]'), '2099-12-31');
  await (await s.find('form.filters button')).click();
  await s.waitFor(async () => (await title()) === 'Rentrée 2027', { message: 'the campaign page' });
  await audit('campagne');
  for (const [ext, type, magic] of [
    ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', Buffer.from('PK')],
    ['csv', 'text/csv; charset=utf-8', Buffer.from('\ufeff', 'utf8')],
  ]) {
    const href = await s.execute(`return document.querySelector('a[href$=".${ext}"]').getAttribute('href')`);
    const { response, bytes } = await download(href);
    assert(response.status === 200 && response.headers.get('content-type') === type, `${ext}: ${response.status}`);
    assert(bytes.subarray(0, magic.length).equals(magic), `${ext} starts as it should`);
  }
});

await step('date a follow-up step, see the commune’s timeline and the balance sheet', async () => {
  await go('/bureau/suivi');
  assert((await title()) === 'Suivi des propositions acceptées', `title: ${await title()}`);
  await audit('suivi');
  const rows = await s.execute('return document.querySelectorAll("table.suivi tbody tr").length');
  const todo = await s.execute('return document.querySelectorAll("td.afaire").length');
  await (await s.find('table.suivi details summary')).click();
  await audit('suivi-formulaire');
  // A date input's typing depends on the locale: its value is set as a picker would.
  await s.execute(`const f = document.querySelector('table.suivi details[open] form');
    f.querySelector('select[name=step]').value = 'commande';
    f.querySelector('input[name=on]').value = '2026-12-01';
    f.querySelector('textarea[name=note]').value = 'Bon de commande n° 42';`);
  await (await s.find('table.suivi details[open] button[type=submit]')).click();
  await s.waitFor(async () => (await s.execute('return document.querySelectorAll("td.afaire").length')) === todo - 1,
    { message: 'one step fewer to do' });
  const text = await s.execute('return document.body.innerText');
  assert(rows > 0 && text.includes('1er décembre 2026') && text.includes('Bon de commande n° 42'), 'the step is shown');
  await (await s.find('table.suivi tbody th a')).click();
  await s.waitFor(async () => (await title()).startsWith('Chronologie'), { message: 'the timeline' });
  const events = await s.execute('return document.querySelectorAll("ol.chronologie li").length');
  assert(events >= 3, `${events} events`);
  await audit('chronologie');
  await go('/bureau/bilan');
  assert((await title()) === 'Bilan du service', `title: ${await title()}`);
  await audit('bilan');
  const href = await s.execute('return document.querySelector(\'a[href$=".xlsx"]\').getAttribute(\'href\')');
  const { response, bytes } = await download(href);
  assert(response.status === 200 && bytes.subarray(0, 2).equals(Buffer.from('PK')), `bilan.xlsx: ${response.status}`);
});

await step('a coordinator may not open the laptops page', async () => {
  await go('/bureau/postes');
  assert((await title()) === 'Accès refusé', `title: ${await title()}`);
  await audit('acces-refuse');
});

await step('log out, log in as admin, revoke a laptop', async () => {
  await go('/bureau');
  await (await s.find('form.logout button')).click();
  await s.waitFor(async () => (await title()) === 'Connexion', { message: 'the login page' });
  await s.setValue(await s.find('input[name=email]'), 'admin@syndicat.test');
  await s.setValue(await s.find('input[name=password]'), PASSWORD);
  await (await s.find('form button[type=submit]')).click();
  await s.waitFor(async () => (await title()) === 'Tableau de bord', { message: 'the dashboard' });
  await go('/bureau/postes');
  await audit('postes');
  const before = await s.execute('return document.querySelectorAll("td form button").length');
  await (await s.find('td form button')).click();
  await s.waitFor(async () => (await s.execute('return document.querySelectorAll("td form button").length')) === before - 1,
    { message: 'one laptop fewer to revoke' });
  const text = await s.execute('return document.body.innerText');
  assert(text.includes('Révoqué le'), 'the revoked laptop says so');
});

await step('enroll a laptop: its code, also as a QR code', async () => {
  await s.setValue(await s.find('input[name=adviser]'), 'Claire Petit');
  await (await s.find('section form.inline button')).click();
  await s.waitForElement('.qr svg');
  const label = await (await s.find('.qr')).attribute('aria-label');
  const code = await (await s.find('p.code')).text();
  assert(label.endsWith(code), `QR code label ${label} for ${code}`);
  await audit('postes-code');
});

/** Uploads `file` as `kind` on the Référentiel page; waits for the preview. */
async function uploadReference(kind, file) {
  await go('/bureau/referentiel');
  await s.select(await s.find('select[name=kind]'), kind);
  await (await s.find('input[type=file]')).sendKeys(file);
  await (await s.find('form[enctype] button')).click();
  await s.waitFor(async () => (await title()) === 'Référentiel : aperçu', { message: 'the preview' });
}

async function publishPreview() {
  await (await s.find('input[name=upload] ~ button')).click();
  await s.waitFor(async () => (await title()) === 'Référentiel', { message: 'the page after publishing' });
  return s.execute('return document.querySelector("[role=status] h2").textContent');
}

await step('publish a catalogue from the Référentiel page, then a new price', async () => {
  await go('/bureau/referentiel');
  await audit('referentiel');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'preau-referentiel-'));
  const example = await readFile(path.join(HERE, '../../data/reference/catalogue-syndicat-exemple.csv'), 'utf8');
  const first = path.join(dir, 'catalogue.csv');
  await writeFile(first, example);
  await uploadReference('catalogue', first);
  const published = await publishPreview();
  assert(/^Version \d+ publiée : Catalogue/.test(published), published);
  const cheaper = path.join(dir, 'catalogue-2027.csv');
  await writeFile(cheaper, example.replace(';1 890,00;', ';1 790,00;'));
  await uploadReference('catalogue', cheaper);
  const prices = await s.execute('return document.querySelector("[data-figure=prix]").textContent');
  const text = await s.execute('return document.body.innerText');
  const [before, after] = ['1\u202f890,00\u00a0€', '1\u202f790,00\u00a0€'];
  assert(prices === '1' && text.includes(before) && text.includes(after), `price change ${before} → ${after}: ${prices}`);
  await audit('referentiel-apercu');
  const again = await publishPreview();
  assert(/^Version \d+ publiée : Catalogue/.test(again) && again !== published, `${published} then ${again}`);
  await audit('referentiel-publie');
  // A file that is not a catalogue: refused in French, nothing published.
  const wrong = path.join(dir, 'regles.json');
  await writeFile(wrong, '{"version": "x"}');
  await go('/bureau/referentiel');
  await (await s.find('input[type=file]')).sendKeys(wrong);
  await (await s.find('form[enctype] button')).click();
  await s.waitForElement('[role=alert]');
  const alert = await s.execute('return document.querySelector("[role=alert]").innerText');
  assert(alert.includes('n’est pas un catalogue valide') && alert.includes('Rien n’a été publié.'), alert);
  await audit('referentiel-refus');
});

await step('the audit log', async () => {
  await go('/bureau/journal');
  const text = await s.execute('return document.body.innerText');
  for (const expected of ['Connexion', 'Export', 'Poste révoqué', 'Campagne lancée', 'Proposition téléchargée', 'Référentiel publié']) {
    assert(text.includes(expected), `the log shows ${expected}`);
  }
  await audit('journal');
});

await step('a partner reads the follow-up without names and may date nothing', async () => {
  await go('/bureau');
  await (await s.find('form.logout button')).click();
  await s.waitFor(async () => (await title()) === 'Connexion', { message: 'the login page' });
  await s.setValue(await s.find('input[name=email]'), 'viewer@syndicat.test');
  await s.setValue(await s.find('input[name=password]'), PASSWORD);
  await (await s.find('form button[type=submit]')).click();
  await s.waitFor(async () => (await title()) === 'Tableau de bord', { message: 'the dashboard' });
  await go('/bureau/suivi');
  const [forms, text] = await s.execute(`return [document.querySelectorAll('form.etape').length,
    document.body.innerText]`);
  assert(forms === 0 && !text.includes('Anne Martin') && !text.includes('Bon de commande'), 'no form, no names, no notes');
  await audit('suivi-consultation');
});

await s.delete();
finish();
