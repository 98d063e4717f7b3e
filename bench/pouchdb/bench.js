#!/usr/bin/env node
// PouchDB side of scripts/bench-sync.sh: the rows Préau's bench pushes (`bench --dump FILE`,
// one JSON object a line: {table, id, fields}) as documents with the same fields, in a local
// PouchDB 9 (LevelDB, temp dir), replicated over loopback to express-pouchdb 4 (LevelDB, temp
// dir). For each batch size: push to a fresh remote database (`replicate.to`), then a new
// local database pulls everything from it (`replicate.from`). Results: one JSON object on
// stdout; progress on stderr.
//
//   node bench.js DUMP [--batch-sizes 100,500,1000,2000]

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb-node');

function usage(msg) {
  process.stderr.write(`${msg}\nusage: node bench.js DUMP [--batch-sizes 100,500,1000,2000]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let dump = null;
let batchSizes = [100, 500, 1000, 2000];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--batch-sizes') {
    batchSizes = (args[++i] || '').split(',').map(Number);
    if (!batchSizes.every((b) => Number.isInteger(b) && b > 0)) usage('bad --batch-sizes');
  } else if (!dump) {
    dump = args[i];
  } else {
    usage(`unexpected argument ${args[i]}`);
  }
}
if (!dump) usage('missing DUMP');

const log = (m) => process.stderr.write(`pouchdb: ${m}\n`);
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

function readDocs(file) {
  const docs = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    const doc = { _id: `${row.table}/${row.id}`, table: row.table };
    for (const [k, v] of Object.entries(row.fields)) {
      // PouchDB reserves top-level names starting with `_`.
      doc[k.startsWith('_') ? `f${k}` : k] = v;
    }
    docs.push(doc);
  }
  return docs;
}

async function main() {
  const docs = readDocs(dump);
  if (docs.length === 0) throw new Error(`${dump}: no rows`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'preau-pouch-'));
  const serverDir = path.join(tmp, 'server');
  const localDir = path.join(tmp, 'local');
  fs.mkdirSync(serverDir);
  fs.mkdirSync(localDir);
  // express-pouchdb writes its log (and config) beside the process: keep them in tmp.
  process.chdir(tmp);

  const ServerPouch = PouchDB.defaults({ prefix: `${serverDir}${path.sep}` });
  const app = express();
  app.use(
    '/',
    require('express-pouchdb')(ServerPouch, {
      mode: 'minimumForPouchDB',
      inMemoryConfig: true,
      logPath: path.join(tmp, 'log.txt'),
    }),
  );
  const server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const url = `http://127.0.0.1:${server.address().port}`;

  try {
    const source = new PouchDB(path.join(localDir, 'source'));
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < docs.length; i += 1000) {
      const res = await source.bulkDocs(docs.slice(i, i + 1000));
      const bad = res.find((r) => r.error);
      if (bad) throw new Error(`loading: ${JSON.stringify(bad)}`);
    }
    const loadSeconds = seconds(t0);
    log(`${docs.length} documents loaded locally in ${loadSeconds.toFixed(2)} s`);

    const runs = [];
    for (const b of batchSizes) {
      const remote = new PouchDB(`${url}/push_${b}`);
      t0 = process.hrtime.bigint();
      const push = await source.replicate.to(remote, { batch_size: b });
      const pushSeconds = seconds(t0);
      if (push.docs_written !== docs.length) {
        throw new Error(`push ${b}: ${push.docs_written} of ${docs.length} written`);
      }

      const fresh = new PouchDB(path.join(localDir, `pull_${b}`));
      t0 = process.hrtime.bigint();
      const pull = await fresh.replicate.from(remote, { batch_size: b });
      const pullSeconds = seconds(t0);
      if (pull.docs_written !== docs.length) {
        throw new Error(`pull ${b}: ${pull.docs_written} of ${docs.length} written`);
      }
      log(`batch ${b}: push ${pushSeconds.toFixed(2)} s, pull ${pullSeconds.toFixed(2)} s`);
      runs.push({ batch_size: b, push_s: pushSeconds, pull_s: pullSeconds });
      await fresh.destroy();
      await remote.close();
    }
    await source.close();

    const push = runs.map((r) => r.push_s);
    const pull = runs.map((r) => r.pull_s);
    process.stdout.write(
      `${JSON.stringify({
        docs: docs.length,
        load_s: loadSeconds,
        runs,
        push_min_s: Math.min(...push),
        push_max_s: Math.max(...push),
        pull_min_s: Math.min(...pull),
        pull_max_s: Math.max(...pull),
        node: process.version,
        pouchdb: require('pouchdb-node/package.json').version,
        express_pouchdb: require('express-pouchdb/package.json').version,
      })}\n`,
    );
  } finally {
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  // express-pouchdb keeps timers alive: exit once the results are out.
  () => process.exit(0),
  (e) => {
    process.stderr.write(`pouchdb: ${e.stack || e}\n`);
    process.exit(1);
  },
);
