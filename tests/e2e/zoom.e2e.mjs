#!/usr/bin/env node
// End-to-end test of the zoom in the real app: Ctrl + « = » twice zooms the whole window to
// 125 % (the page's CSS width shrinks by as much), Ctrl + « - » steps back, the zoom is
// still there after a restart (saved on this laptop), and Ctrl + 0 gives the normal size.
//
// Env: PREAU_APP, PREAU_CLI, PREAU_DATA_DIR, TAURI_DRIVER_URL, PREAU_SCREENSHOTS (optional).
import { mkdir } from 'node:fs/promises';
import { $, assert, chord, driverReachable, fail, finish, freshShot, importExampleVisit, KEY, StopScenario, stepper, withApp } from './tap.mjs';

const DATA = process.env.PREAU_DATA_DIR;
const SHOTS = process.env.PREAU_SCREENSHOTS || null;
const shot = (session, name) => freshShot(session, name, 'zoom-');
const step = stepper({ prefix: 'zoom-', screenshot: shot });

/** Ctrl + `key`, wherever the focus is. */
const ctrl = (session, key) => chord(session, KEY.control, key);

const zoomOf = (session) => session.execute('return Number(document.documentElement.dataset.zoom || 100);');
const widthOf = (session) => session.execute('return window.innerWidth;');

async function waitZoom(session, percent) {
  await session.waitFor(async () => (await zoomOf(session)) === percent, { message: `zoom ${percent} %` });
}

async function main() {
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  try {
    await step('import the example visit with preau-cli', null, () => importExampleVisit(DATA));
  } catch (error) {
    if (!(error instanceof StopScenario)) fail('set-up', error);
    return;
  }
  if (!(await driverReachable())) return;
  let normalWidth = 0;
  await withApp(step, 'start the app', async (session) => {
    await step('Ctrl + = twice: 125 %, the page narrower by as much', session, async () => {
      await session.waitForElement($('plan-visit-start'), { timeout: 30_000 });
      normalWidth = await widthOf(session);
      await ctrl(session, '=');
      await waitZoom(session, 110);
      await ctrl(session, '=');
      await waitZoom(session, 125);
      const width = await widthOf(session);
      assert(Math.abs(width - normalWidth / 1.25) <= 2, `width ${width} at 125 %, ${normalWidth} at 100 %`);
      assert((await session.findAll($('zoom-level'))).length === 1, 'the level is shown');
    });
    await shot(session, 'zoomed');
    await step('Ctrl + - steps back to 110 %', session, async () => {
      await ctrl(session, '-');
      await waitZoom(session, 110);
    });
  });
  await withApp(step, 'start the app again', async (session) => {
    await step('the zoom of this laptop is restored', session, async () => {
      await session.waitForElement($('plan-visit-start'), { timeout: 30_000 });
      await waitZoom(session, 110);
      const width = await widthOf(session);
      assert(Math.abs(width - normalWidth / 1.1) <= 2, `width ${width} at 110 %`);
    });
    await step('Ctrl + 0 gives the normal size', session, async () => {
      await ctrl(session, '0');
      await waitZoom(session, 100);
      assert(Math.abs((await widthOf(session)) - normalWidth) <= 1, 'normal width');
    });
  });
}

await main();
finish();
