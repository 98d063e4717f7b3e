// axe-core (npm, ui/node_modules) injected through WebDriver: the violations of WCAG 2.1
// A and AA in the page as it is now, any impact. Shared by axe.e2e.mjs (every screen) and
// the tests that audit a screen of their own (map.e2e.mjs).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AXE = path.resolve(HERE, '../../ui/node_modules/axe-core/axe.min.js');

let axeSource = '';

/** Reads axe-core's script (throws when `npm ci` in ui/ has not installed it). */
export async function loadAxe() {
  axeSource = await readFile(AXE, 'utf8');
}

/** The violations axe finds in the page as it is now: `rule (impact): elements`. */
export async function audit(session) {
  const injected = await session.execute('return typeof window.axe === "object";');
  if (!injected) await session.execute(`${axeSource}\nreturn true;`);
  const violations = await session.execute(`
    return window.axe
      .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
      .then((r) => r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        targets: v.nodes.slice(0, 4).map((n) => n.target.join(' ')),
      })));`);
  return violations.map((v) => `${v.id} (${v.impact}): ${v.targets.join(' | ')}`);
}
