/**
 * The production bundle (`dist-app/`, from `npm run build`) runs in browsers only: no Node
 * built-in may be imported or required, and no server-side Porthole package may bleed in
 * (STYLE.md §3). Prints each file's size, raw and gzipped, for the record.
 */
import {readdir, readFile} from 'node:fs/promises';
import {builtinModules} from 'node:module';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';
import {beforeAll, describe, expect, it} from 'vitest';

const DIST = fileURLToPath(new URL('../../dist-app/', import.meta.url));
const BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
const SERVER_PACKAGES = [
  '@porthole/agent-bridge',
  '@porthole/relay',
  '@porthole/cli',
  '@porthole/testing',
];

interface BundleFile {
  path: string;
  text: string;
}

let files: BundleFile[] = [];

async function javaScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true, recursive: true});
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

beforeAll(async () => {
  const paths = await javaScriptFiles(DIST).catch(() => []);
  if (paths.length === 0) throw new Error(`No bundle in ${DIST}: run npm run build first`);
  files = await Promise.all(
    paths.map(async (path) => ({path: relative(DIST, path), text: await readFile(path, 'utf8')})),
  );
});

/** Every place a module specifier can stand in built JavaScript. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*["'`]([^"'`]+)["'`]/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
    /\bimport\s*["'`]([^"'`]+)["'`]/g,
    /\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  ];
  for (const pattern of patterns)
    for (const match of text.matchAll(pattern)) found.push(match[1] ?? '');
  return found;
}

describe('the production bundle', () => {
  it('imports and requires no Node built-in', () => {
    const offending = files.flatMap((file) =>
      specifiers(file.text)
        .filter((specifier) => specifier.startsWith('node:') || BUILTINS.includes(specifier))
        .map((specifier) => `${file.path}: ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('mentions no node:net or node:tls, and no server-side Porthole package', () => {
    const offending = files.flatMap((file) =>
      ['node:net', 'node:tls', ...SERVER_PACKAGES]
        .filter((name) => file.text.includes(name))
        .map((name) => `${file.path}: ${name}`),
    );
    expect(offending).toEqual([]);
  });

  it('has the pages the relay serves and the script-tag bundle', async () => {
    const names = await readdir(DIST);
    expect(names).toEqual(
      expect.arrayContaining([
        'index.html',
        'redirect.html',
        'portal.html',
        'porthole-components.js',
      ]),
    );
    // Relative asset paths, so the same files work at /console/ and at / (STYLE: base './').
    const index = await readFile(join(DIST, 'index.html'), 'utf8');
    expect(index).toMatch(/src="\.\/assets\/[^"]+\.js"/);
    expect(index).not.toMatch(/(src|href)="\/(?!\/)/);
  });

  it('prints the size of each file, raw and gzipped', () => {
    const rows = files.map((file) => {
      const raw = Buffer.byteLength(file.text);
      return {file: file.path, raw, gzip: gzipSync(file.text, {level: 9}).length};
    });
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    const width = Math.max(...rows.map((row) => row.file.length));
    const lines = rows.map(
      (row) =>
        `${row.file.padEnd(width)}  ${kib(row.raw).padStart(10)}  ${kib(row.gzip).padStart(10)} gzip`,
    );
    const app = rows.filter((row) => row.file.startsWith('assets/'));
    lines.push(
      `${'console and portal (assets/)'.padEnd(width)}  ${kib(app.reduce((sum, row) => sum + row.raw, 0)).padStart(10)}  ${kib(app.reduce((sum, row) => sum + row.gzip, 0)).padStart(10)} gzip`,
    );
    console.log(`Bundle sizes (dist-app):\n${lines.join('\n')}`);
    expect(rows.length).toBeGreaterThan(0);
  });
});
