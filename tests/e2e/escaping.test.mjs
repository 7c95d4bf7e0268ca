// Profile and request data never become markup: a hostile first name, quotes in an attribute
// value and a javascript: URL render inert, end to end in workerd.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, request, visitorPair } from "./harness.mjs";
import { startOrigin } from "./origin.mjs";

const VISITOR = "BwcHBwcHBwcHBwcHBwcHBw";
const CONFIG = JSON.stringify({
  version: "e2e-escaping",
  segments: [],
  slots: [
    { id: "greeting", selector: "h1", action: "setInnerContent", default: "Hi {{ customer.firstName }}" },
    { id: "title", selector: "[data-tailor-slot=hero]", action: "setAttribute", attribute: "title", default: "For {{ profile.nickname }}" },
    { id: "link", selector: "#note", action: "append", default: ' <a href="{{ profile.website }}" data-q="{{ page.query.q }}">site</a>' },
  ],
});

let worker;
before(async () => {
  const origin = await startOrigin();
  worker = await startWorker({
    origin: origin.url,
    kv: [
      { key: "config", value: CONFIG },
      {
        key: `profile:${VISITOR}`,
        value: JSON.stringify({
          firstName: "<script>alert(1)</script>",
          nickname: 'Bob" onmouseover="alert(2)',
          website: "javascript:alert(3)",
        }),
      },
    ],
  });
});

test("hostile profile and query values render as inert text", async () => {
  const res = await request(`${worker.url}/page?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(4)%3E`, {
    headers: { cookie: visitorPair(VISITOR) },
  });
  assert.equal(res.status, 200);
  assert.match(res.text, /<h1>Hi &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
  assert.match(res.text, /title="For Bob&quot; onmouseover=&quot;alert\(2\)"/);
  assert.match(res.text, /<a href="#" data-q="&quot;&gt;&lt;img src=x onerror=alert\(4\)&gt;">site<\/a>/);
  assert.doesNotMatch(res.text, /<script>alert/);
  assert.doesNotMatch(res.text, /<img/);
  assert.doesNotMatch(res.text, /javascript:/);
});
