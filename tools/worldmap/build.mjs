#!/usr/bin/env node
// Builds the world outline that Relais draws its maps on, so no page ever asks a
// tile server or a CDN for one:
//
//   crates/relais-core/data/world-land-110m.txt   one SVG path (`d` attribute), pre-projected
//
// Usage: node tools/worldmap/build.mjs
//
// Input: Natural Earth's 1:110m land polygons as TopoJSON, from the npm package
// world-atlas (pinned in package.json and package-lock.json, so a rebuild gives the same
// bytes). Natural Earth is public domain; world-atlas is ISC. See
// crates/relais-core/data/WORLD.md.
//
// Projection: equirectangular (plate carrée), MAP_SCALE units per degree, longitude
// -180..180 to x = 0..360*MAP_SCALE, latitude NORTH..SOUTH to y = 0..(NORTH-SOUTH)*MAP_SCALE.
// relais_core::map projects project coordinates with the same constants: change both
// together. Antarctica (south of SOUTH) is left out: nobody's well is there, and it
// would take a fifth of the height.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const modules = join(here, 'node_modules');
if (!existsSync(join(modules, 'world-atlas')) || !existsSync(join(modules, 'topojson-client'))) {
  console.error(`inputs missing: running npm ci in ${relative(process.cwd(), here) || '.'}`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}
const { feature } = await import(join(modules, 'topojson-client', 'dist', 'topojson-client.js'));

const MAP_SCALE = 2; // units per degree
const NORTH = 84;
const SOUTH = -58;

const topology = JSON.parse(readFileSync(join(modules, 'world-atlas', 'land-110m.json'), 'utf8'));
const land = feature(topology, topology.objects.land);
const polygons = land.features.flatMap((f) =>
  f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates,
);

const round = (v) => Math.round(v * 10) / 10; // 0.05°: finer than the data at this scale
const project = ([lon, lat]) => [
  round((lon + 180) * MAP_SCALE),
  round((NORTH - Math.max(SOUTH, Math.min(NORTH, lat))) * MAP_SCALE),
];
const num = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)).replace(/^(-?)0\./, '$1.');

let d = '';
let rings = 0;
let points = 0;
for (const polygon of polygons) {
  for (const ring of polygon) {
    if (ring.every(([, lat]) => lat < SOUTH)) continue;
    // A ring crossing the antimeridian (Chukotka, Fiji) jumps by 360°: unwrap it into
    // continuous longitudes, and draw it a second time shifted by a full turn so the
    // part beyond ±180 shows on the other edge (the SVG viewport clips the rest).
    const unwrapped = [];
    for (const [lon, lat] of ring) {
      const prev = unwrapped[unwrapped.length - 1];
      let l = lon;
      while (prev && l - prev[0] > 180) l -= 360;
      while (prev && prev[0] - l > 180) l += 360;
      unwrapped.push([l, lat]);
    }
    const lons = unwrapped.map(([lon]) => lon);
    const copies = [unwrapped];
    if (Math.max(...lons) > 180) copies.push(unwrapped.map(([lon, lat]) => [lon - 360, lat]));
    if (Math.min(...lons) < -180) copies.push(unwrapped.map(([lon, lat]) => [lon + 360, lat]));
    for (const copy of copies) {
    const pts = [];
    for (const p of copy.map(project)) {
      const last = pts[pts.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
    }
    if (pts.length < 4) continue; // too small to see at this scale
    // Relative moves after the first point: shorter numbers.
    let [x, y] = pts[0];
    d += `M${num(x)} ${num(y)}`;
    let segment = '';
    for (const [px, py] of pts.slice(1, -1)) {
      const dx = round(px - x);
      const dy = round(py - y);
      const sy = num(dy);
      segment += (segment === '' ? 'l' : dx >= 0 ? ' ' : '') + num(dx) + (dy >= 0 ? ' ' : '') + sy;
      [x, y] = [px, py];
    }
    d += `${segment}z`;
    rings += 1;
    points += pts.length;
    }
  }
}

const version = JSON.parse(readFileSync(join(modules, 'world-atlas', 'package.json'), 'utf8')).version;
const outFile = join(repo, 'crates', 'relais-core', 'data', 'world-land-110m.txt');
writeFileSync(outFile, `${d}\n`);
console.log(
  `world-atlas ${version}: ${rings} rings, ${points} points, ${d.length} bytes -> ${relative(process.cwd(), outFile)}`,
);
