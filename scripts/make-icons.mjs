#!/usr/bin/env node
// Every icon the installers need, rendered from the one source file build/icon.svg into
// build/icons/ (not committed: the release workflow and the packaging test run this first):
//   icon.ico         Windows app, NSIS installer and uninstaller, MSI (16–256 px in one file)
//   png/<n>x<n>.png  Linux (AppImage and deb install each size into the hicolor theme), 16–1024 px
//   icon.png         the largest PNG, for electron-builder's platform-neutral `icon`
// Usage: node scripts/make-icons.mjs [--out DIR]
import { Resvg } from '@resvg/resvg-js';
import pngToIco from 'png-to-ico';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The sizes Windows' shell picks from in an .ico (256 is stored as PNG-compatible bitmap). */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** The hicolor sizes Linux desktops look up, and 1024 for high-density displays. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

export function render(svg, size) {
  return new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' })
    .render()
    .asPng();
}

export async function makeIcons(
  out = join(root, 'build', 'icons'),
  source = join(root, 'build', 'icon.svg'),
) {
  const svg = readFileSync(source);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'png'), { recursive: true });
  const pngs = new Map();
  for (const size of new Set([...ICO_SIZES, ...PNG_SIZES])) pngs.set(size, render(svg, size));
  for (const size of PNG_SIZES) writeFileSync(join(out, 'png', `${size}x${size}.png`), pngs.get(size));
  writeFileSync(join(out, 'icon.png'), pngs.get(Math.max(...PNG_SIZES)));
  writeFileSync(join(out, 'icon.ico'), await pngToIco(ICO_SIZES.map((size) => pngs.get(size))));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = await makeIcons(i > 0 ? resolve(process.argv[i + 1]) : undefined);
  console.log(`Icons written to ${out}`);
}
