// Text beyond ASCII changes case in the Workers exactly as JavaScript changes it: the Wasm
// hands such text to the runtime's toUpperCase/toLowerCase (src/case.rs), end to end in workerd.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, request } from "./harness.mjs";
import { startOrigin } from "./origin.mjs";

const CONFIG = JSON.stringify({
  version: "e2e-case-mapping",
  segments: [{ id: "munich", when: { "page.query.city": { $ini: ["MÜNCHEN", "Paris"] } } }],
  slots: [
    {
      id: "greeting",
      selector: "h1",
      action: "setInnerContent",
      content: { munich: "Servus" },
      default: "{{ page.query.name | upcase }}|{{ page.query.name | downcase }}|{{ page.query.name | capitalize }}",
    },
  ],
});

let worker;
before(async () => {
  const origin = await startOrigin();
  worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: CONFIG }] });
});

const h1 = (text) => text.match(/<h1>(.*?)<\/h1>/s)?.[1];

test("templates' upcase, downcase and capitalize map Unicode text as JavaScript does", async () => {
  const name = "straße ΟΔΟΣ éTÉ İ ﬁx";
  const res = await request(`${worker.url}/page?name=${encodeURIComponent(name)}`);
  assert.equal(res.status, 200);
  const capitalized = name[0].toUpperCase() + name.slice(1).toLowerCase();
  assert.equal(h1(res.text), `${name.toUpperCase()}|${name.toLowerCase()}|${capitalized}`);
  // The values JavaScript gives, spelled out: ß → SS, a final Σ → ς, İ → i + U+0307, ﬁ → FI.
  assert.match(h1(res.text), /^STRASSE ΟΔΟΣ ÉTÉ İ FIX\|straße οδος été i̇ ﬁx\|Straße οδος été i̇ ﬁx$/u);
});

test("case-insensitive conditions fold Unicode text as JavaScript does", async () => {
  for (const city of ["münchen", "MÜNCHEN", "München", "PARIS"]) {
    const res = await request(`${worker.url}/page?city=${encodeURIComponent(city)}`);
    assert.equal(h1(res.text), "Servus", city);
  }
  const other = await request(`${worker.url}/page?city=${encodeURIComponent("munchen")}&name=x`);
  assert.equal(h1(other.text), "X|x|X");
});
