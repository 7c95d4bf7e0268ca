// What the shell reads from the runtime besides headers: Cloudflare's request.cf (country,
// timezone → local time, bot signals) and Sec-GPC, as conditions see them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, request } from "./harness.mjs";
import { startOrigin } from "./origin.mjs";

const origin = await startOrigin();

// Each slot shows one attribute, so the page reports what the worker saw.
const REPORT_CONFIG = JSON.stringify({
  version: "e2e-context",
  segments: [
    { id: "in-france", when: { "page.geo.country": "FR", "page.geo.continent": "EU" } },
    { id: "has-local-time", when: { "page.time.localHour": { $gte: 0, $lte: 23 }, "page.time.localWeekday": { $gte: 0, $lte: 6 } } },
    { id: "bot", when: { "page.device.isBot": true } },
    { id: "gpc", when: { "page.gpc": true } },
    { id: "mobile-safari", when: { "page.device.type": "mobile", "page.device.browser": "safari" } },
    { id: "from-mail", when: { "page.utm.source": "mail", "page.language.primary": "de" } },
  ],
  slots: ["in-france", "has-local-time", "bot", "gpc", "mobile-safari", "from-mail"].map((id) => ({
    id,
    selector: "#note",
    action: "append",
    content: { [id]: ` [${id}]` },
  })),
});

function seen(text) {
  return [...text.matchAll(/ \[([a-z-]+)\]/g)].map((m) => m[1]).sort();
}

test("geography, local time and bot signals come from request.cf", async () => {
  const worker = await startWorker({
    origin: origin.url,
    kv: [{ key: "config", value: REPORT_CONFIG }],
    cf: { country: "FR", continent: "EU", timezone: "Europe/Paris", botManagement: { score: 3, verifiedBot: false } },
  });
  const res = await request(`${worker.url}/page`);
  assert.deepEqual(seen(res.text), ["bot", "has-local-time", "in-france"]);
  const again = await request(`${worker.url}/page`);
  assert.deepEqual(seen(again.text), ["bot", "has-local-time", "in-france"], "with the isolate's cached formatter");
});

test("headers become attributes: GPC, language, UTM, device (with Miniflare's placeholder cf: Austin, US)", async () => {
  const worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: REPORT_CONFIG }] });
  const res = await request(`${worker.url}/page?utm_source=mail`, {
    headers: {
      "sec-gpc": "1",
      "accept-language": "de-CH,de;q=0.9,en;q=0.5",
      "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    },
  });
  assert.deepEqual(seen(res.text), ["from-mail", "gpc", "has-local-time", "mobile-safari"]);
});
