// Screenshots of the demo home page as several personas, for the README:
// docs/screenshots/<persona>.png. Needs a built worker (npm run build) and Debian's Chromium
// (`apt-get install chromium`; set CHROMIUM to use another binary).
// Usage: node scripts/screenshots.mjs [persona ...]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, kvEntries } from "./fixtures.mjs";
import { workerOptions } from "./miniflare.mjs";

const chromium = process.env.CHROMIUM ?? "chromium";
const chosen = process.argv.slice(2);
const names = chosen.length ? chosen : ["first-time", "vip", "cart-abandoner", "lapsed", "browse-abandoner"];
const outDir = join(ROOT, "docs", "screenshots");
mkdirSync(outDir, { recursive: true });

const mf = new Miniflare(workerOptions({ asDeployed: true }));
try {
  const url = String(await mf.ready).replace(/\/$/, "");
  const kv = await mf.getKVNamespace("TAILOR_KV");
  for (const { key, value } of kvEntries()) await kv.put(key, value);
  for (const name of names) {
    const profileDir = mkdtempSync(join(tmpdir(), "tailor-chromium-"));
    const file = join(outDir, `${name}.png`);
    // The persona link sets the cookies and redirects to the home page, in one navigation.
    execFileSync(
      chromium,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", `--user-data-dir=${profileDir}`, "--window-size=1280,960",
        `--screenshot=${file}`, `${url}/__tailor/persona/${name}`,
      ],
      { stdio: ["ignore", "ignore", "ignore"], timeout: 60_000 },
    );
    rmSync(profileDir, { recursive: true, force: true });
    console.log(`tailor: ${file}`);
  }
} finally {
  await mf.dispose();
}
