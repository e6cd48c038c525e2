// SPDX-License-Identifier: GPL-3.0-or-later
// Builds the widget: minifies src/widget-full.js (with what it imports) and src/widget.js into
// dist/ (or --outdir DIR), prints each file's size raw and gzipped, and fails when a file is over
// its budget. The bootstrap learns the full widget's content hash at build time, so that it asks
// for /widget-full.js?v=HASH: a URL whose content never changes, cached for a year.
//
//   node build.mjs [--outdir DIR]

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
const outdir = resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : join(here, 'dist'));

// Budgets in gzipped bytes (issue 4).
export const BUDGETS = { 'widget.js': 2560, 'widget-full.js': 20480 };

const common = {
  bundle: true,
  minify: true,
  write: false,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
};

async function bundle(entry, define = {}) {
  const result = await build({ ...common, entryPoints: [join(here, 'src', entry)], define });
  return Buffer.from(result.outputFiles[0].contents);
}

const full = await bundle('widget-full.js');
const version = createHash('sha256').update(full).digest('hex').slice(0, 12);
const boot = await bundle('widget.js', { FULL_VERSION: JSON.stringify(version) });

mkdirSync(outdir, { recursive: true });
let over = false;
for (const [name, data] of [['widget.js', boot], ['widget-full.js', full]]) {
  // written beside and renamed: a relay reading the directory never sees half a file
  const path = join(outdir, name);
  writeFileSync(path + '.tmp', data);
  renameSync(path + '.tmp', path);
  const gz = gzipSync(data, { level: 9 }).length;
  const ok = gz <= BUDGETS[name];
  over ||= !ok;
  console.log(`${name.padEnd(15)} ${String(data.length).padStart(6)} bytes, ${String(gz).padStart(5)} gzipped ` +
    `(budget ${BUDGETS[name]})${ok ? '' : '  OVER BUDGET'}`);
}
writeFileSync(join(outdir, 'version.txt'), version + '\n');
console.log(`wrote ${outdir} (widget-full.js?v=${version})`);
if (over) {
  console.error('build: a file is over its size budget');
  process.exit(1);
}
