#!/usr/bin/env node
// Prints the built bundle's size, raw and gzipped, per file and in total
// (measured, not asserted: the target is 300 kB gzipped).
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

if (process.argv.includes("--help")) {
  console.log("usage: bundle-size.mjs [DIR]  (default dist/admin): sizes of the built files");
  process.exit(0);
}
const root = process.argv[2] ?? path.join(import.meta.dirname, "..", "dist", "admin");

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (/\.(js|css|html)$/.test(entry.name)) yield full;
  }
}

let raw = 0;
let gzipped = 0;
const rows = [];
for await (const file of files(root)) {
  const bytes = await readFile(file);
  const gz = gzipSync(bytes, { level: 9 }).length;
  raw += (await stat(file)).size;
  gzipped += gz;
  rows.push([path.relative(root, file), bytes.length, gz]);
}
const kb = (n) => `${(n / 1024).toFixed(1)} kB`.padStart(10);
for (const [name, size, gz] of rows) console.log(`${name.padEnd(40)}${kb(size)}${kb(gz)} gz`);
console.log(`${"bundle total".padEnd(40)}${kb(raw)}${kb(gzipped)} gz (target ≤ 300 kB gz)`);
