// Builds crates/relais-core/data/disposable-domains.txt: one lowercase domain per
// line, sorted, from the `disposable-email-domains` npm package (MIT). Run with
// `node tools/disposable/build.mjs` (installs the package on first run).
import { execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, "node_modules", "disposable-email-domains"))) {
  execSync("npm install --no-audit --no-fund", { cwd: here, stdio: "inherit" });
}
const pkg = join(here, "node_modules", "disposable-email-domains");
const domains = JSON.parse(readFileSync(join(pkg, "index.json"), "utf8"));
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;
const clean = [...new Set(domains.map((d) => d.trim().toLowerCase()).filter((d) => /^[a-z0-9.-]+\.[a-z0-9-]+$/.test(d)))];
// Byte order, as Rust's str comparison sorts, so the lookup can binary-search.
clean.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const out = join(here, "..", "..", "crates", "relais-core", "data", "disposable-domains.txt");
writeFileSync(out, clean.join("\n") + "\n");
console.log(`disposable-email-domains ${version}: ${clean.length} domains written to ${out}`);
