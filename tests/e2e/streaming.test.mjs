// The page is never buffered: the visitor receives the rewritten first part of the page while
// the origin is still holding back the last part.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startWorker } from "./harness.mjs";
import { startOrigin, HERO_CONFIG } from "./origin.mjs";

const HOLD_MS = 4000;
let worker;
let release = () => {};
let releasedBy = null;

before(async () => {
  const origin = await startOrigin({
    // The origin sends the rest of the page only when the client has seen the first part,
    // or after HOLD_MS if it never does (which would mean the worker buffered the page).
    streamGate: () =>
      new Promise((resolve) => {
        release = (who) => {
          releasedBy ??= who;
          resolve();
        };
        setTimeout(() => release("timeout"), HOLD_MS);
      }),
  });
  worker = await startWorker({ origin: origin.url, kv: [{ key: "config", value: HERO_CONFIG }] });
});

test("the rewritten first part arrives before the origin sends the last part", async () => {
  const started = Date.now();
  const { firstChunk, firstAt, body, endAt } = await new Promise((resolve, reject) => {
    const chunks = [];
    let firstAt;
    http
      .get(`${worker.url}/streamed`, { agent: false }, (res) => {
        res.on("data", (data) => {
          if (!chunks.length) {
            firstAt = Date.now();
            // Seen the first part: let the origin finish.
            setImmediate(() => release("client"));
          }
          chunks.push(data);
        });
        res.on("end", () =>
          resolve({ firstChunk: String(chunks[0]), firstAt, body: Buffer.concat(chunks).toString(), endAt: Date.now() }),
        );
        res.on("error", reject);
      })
      .on("error", reject);
  });
  assert.equal(releasedBy, "client", "the origin had to give up waiting: the worker held the first part back");
  assert.ok(firstAt - started < HOLD_MS, `first byte after ${firstAt - started} ms`);
  assert.ok(endAt >= firstAt);
  assert.match(body, /<h1>Welcome, new friend<\/h1>/, "the hero is personalized");
  assert.match(body, /<footer>the end<\/footer><\/body><\/html>$/, "and the page is complete");
  assert.ok(firstChunk.length > 0);
});
