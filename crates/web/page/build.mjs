#!/usr/bin/env node
// Bundles the page into the three files `odto web` compiles in: app.js (src/main.js and
// xterm.js, one minified IIFE), app.css (xterm's stylesheet and ours) and index.html (copied).
// The output depends on the sources and the lockfile only: no sourcemap, no timestamps, no
// absolute paths, so check-bundle.sh can compare a fresh build with the committed one.
//
// Usage: node build.mjs [output-dir]   (default ../assets, i.e. crates/web/assets)

import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] ?? join(here, '..', 'assets'));

const common = {
  absWorkingDir: here,
  bundle: true,
  minify: true,
  sourcemap: false,
  // xterm.js's licence header stays, at the end of the file.
  legalComments: 'eof',
  logLevel: 'warning',
  target: ['es2022'],
};

await mkdir(outDir, { recursive: true });
await build({
  ...common,
  entryPoints: ['src/main.js'],
  outfile: join(outDir, 'app.js'),
  format: 'iife',
  platform: 'browser',
});
await build({
  ...common,
  entryPoints: ['src/app.css'],
  outfile: join(outDir, 'app.css'),
});
await copyFile(join(here, 'src', 'index.html'), join(outDir, 'index.html'));
console.log(`build: app.js, app.css, index.html -> ${outDir}`);
