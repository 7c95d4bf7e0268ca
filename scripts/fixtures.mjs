// The fixture data as KV entries: the merchant config, each persona's profile, and the demo's
// persona switch ids. Used by the demo's seeding (scripts/seed.mjs) and by the end-to-end
// tests, so both see exactly the same data.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = join(ROOT, "fixtures");

const UNITS = { m: 60e3, h: 3600e3, d: 86400e3 };

/** Replaces relative times such as "now-95d" (also h, m) with ISO timestamps, so that
 *  personas keep their meaning ("last order 120 days ago") whenever they are loaded. */
export function resolveTimes(value, nowMs = Date.now()) {
  if (typeof value === "string") {
    const m = /^now-(\d+)([mhd])$/.exec(value);
    return m ? new Date(nowMs - Number(m[1]) * UNITS[m[2]]).toISOString() : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveTimes(v, nowMs));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTimes(v, nowMs)]));
  }
  return value;
}

/** The personas, by name (file name without .json); `near-misses` for the near misses. */
export function personas(subdir = "") {
  const dir = join(FIXTURES, "personas", subdir);
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(dir, f), "utf8"))]),
  );
}

/** The merchant config document as stored in KV. */
export function configText() {
  return readFileSync(join(FIXTURES, "config.json"), "utf8");
}

/** Every KV entry the demo needs, as [{ key, value }] (wrangler's bulk format). */
export function kvEntries(nowMs = Date.now()) {
  const entries = [
    { key: "config", value: configText() },
    { key: "catalog", value: readFileSync(join(FIXTURES, "catalog.json"), "utf8") },
  ];
  for (const [name, persona] of Object.entries(personas())) {
    if (!persona.visitorId) continue;
    // The persona switch replays these page views (minutes ago) into the behaviour cookie.
    const pageViews = (persona.pageViews ?? []).map(({ path, at }) => ({
      path,
      agoMs: nowMs - Date.parse(resolveTimes(at, nowMs)),
    }));
    entries.push({ key: `demo:persona:${name}`, value: JSON.stringify({ visitorId: persona.visitorId, pageViews }) });
    if (persona.profile) {
      entries.push({
        key: `profile:${persona.visitorId}`,
        value: JSON.stringify(resolveTimes(persona.profile, nowMs)),
      });
    }
  }
  return entries;
}
