// Loads the fixtures (config, persona profiles) into the local KV that `wrangler dev` uses.
// Usage: node scripts/seed.mjs            (local state in .wrangler/)
import { writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, kvEntries } from "./fixtures.mjs";

const entries = kvEntries();
const file = join(ROOT, ".wrangler", "kv-seed.json");
mkdirSync(join(ROOT, ".wrangler"), { recursive: true });
writeFileSync(file, JSON.stringify(entries));
execFileSync(
  join(ROOT, "node_modules", ".bin", "wrangler"),
  ["kv", "bulk", "put", file, "--binding", "TAILOR_KV", "--local"],
  { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
);
console.log(`tailor: seeded ${entries.length} keys into local KV (${entries.map((e) => e.key).join(", ")})`);
