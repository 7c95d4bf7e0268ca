// Screenshots of the demo home page as several personas, for the README:
// docs/screenshots/<persona>.png, and of an experiment report (docs/screenshots/report.png)
// over synthetic totals written to the local D1. Needs a built worker (npm run build) and Debian's Chromium
// (`apt-get install chromium`; set CHROMIUM to use another binary).
// Usage: node scripts/screenshots.mjs [persona ...]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, kvEntries } from "./fixtures.mjs";
import { migrate, workerOptions } from "./miniflare.mjs";

const chromium = process.env.CHROMIUM ?? "chromium";
const chosen = process.argv.slice(2);
const names = chosen.length ? chosen : ["first-time", "vip", "cart-abandoner", "lapsed", "browse-abandoner"];
const outDir = join(ROOT, "docs", "screenshots");
mkdirSync(outDir, { recursive: true });

const TOKEN = "screenshots";
const mf = new Miniflare(workerOptions({ asDeployed: true, bindings: { TAILOR_ADMIN_TOKEN: TOKEN } }));

function screenshot(target, file, size = "1280,960") {
  const profileDir = mkdtempSync(join(tmpdir(), "tailor-chromium-"));
  execFileSync(
    chromium,
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--hide-scrollbars", `--user-data-dir=${profileDir}`, `--window-size=${size}`,
      `--screenshot=${file}`, target,
    ],
    { stdio: ["ignore", "ignore", "ignore"], timeout: 60_000 },
  );
  rmSync(profileDir, { recursive: true, force: true });
  console.log(`tailor: ${file}`);
}

/** Synthetic totals for the fixture's VIP experiment: 1,200 / 1,180 visitors, 96 / 121 orders. */
async function seedReport(db) {
  const exposure = db.prepare("INSERT INTO exposures (experiment, visitor, variant, first_at) VALUES ('vip-cta', ?1, ?2, 0)");
  const order = db.prepare("INSERT INTO orders (order_id, visitor, revenue, at) VALUES (?1, ?2, ?3, 1)");
  const statements = [];
  for (const [variant, visitors, orders, revenue] of [[0, 1200, 96, 75], [1, 1180, 121, 78]]) {
    for (let i = 0; i < visitors; i++) {
      const visitor = `v${variant}-${i}`;
      statements.push(exposure.bind(visitor, variant));
      if (i < orders) statements.push(order.bind(`o-${visitor}`, visitor, revenue + (i % 7) * 10));
    }
  }
  for (let i = 0; i < statements.length; i += 500) await db.batch(statements.slice(i, i + 500));
}
try {
  const url = String(await mf.ready).replace(/\/$/, "");
  const kv = await mf.getKVNamespace("TAILOR_KV");
  for (const { key, value } of kvEntries()) await kv.put(key, value);
  for (const name of names) {
    // The persona link sets the cookies and redirects to the home page, in one navigation.
    screenshot(`${url}/__tailor/persona/${name}`, join(outDir, `${name}.png`));
  }
  await seedReport(await migrate(mf));
  const report = await mf.dispatchFetch(`${url}/__tailor/report/vip-cta`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const page = join(mkdtempSync(join(tmpdir(), "tailor-report-")), "report.html");
  writeFileSync(page, await report.text());
  screenshot(`file://${page}`, join(outDir, "report.png"), "1000,700");
} finally {
  await mf.dispose();
}
