// runtime.js's side of the rewrite plan's encoding (`RewritePlan::encode_for_runtime`), in
// Node: which handlers it registers, and that a malformed plan is refused rather than read
// wrongly or looped over. The runtime's own HTMLRewriter is replaced by a recorder here; the
// golden pages (golden.test.mjs) run the real one in workerd against lol_html's bytes.
import { test } from "node:test";
import assert from "node:assert/strict";

class RecordingRewriter {
  constructor() {
    this.handlers = [];
  }
  on(selector, handlers) {
    this.handlers.push({ selector, handlers });
    return this;
  }
  transform() {
    return this.handlers;
  }
}
globalThis.HTMLRewriter = RecordingRewriter;
const { rewritePage } = await import("../../src/edge/runtime.js");

/** The plan as Rust encodes it: each field's length in UTF-16 code units, ":", the text. */
const encode = (calls) => calls.flat().map((field) => `${field.length}:${field}`).join("");

/** An element that records what a handler does to it. */
const element = (attributes = {}) => {
  const calls = [];
  return {
    calls,
    attributes,
    getAttribute: (name) => attributes[name] ?? null,
    setAttribute: (name, value) => {
      attributes[name] = value;
      calls.push(["setAttribute", name, value]);
    },
    setInnerContent: (html, options) => calls.push(["setInnerContent", html, options.html]),
    remove: () => calls.push(["remove"]),
  };
};

test("every edit of the plan gets its handler, in order, with its text intact", () => {
  const markup = "😀 at 12:30, 5€ 3: <b>🎁</b>";
  const handlers = rewritePage(null, encode([
    ["p:first-child", "setInnerContent", markup, ""],
    ["#offer", "addClass", "vip", ""],
    ["#ad", "remove", "", ""],
  ]));
  assert.deepEqual(handlers.map((h) => h.selector), ["p:first-child", "#offer", "#ad"]);
  const hero = element();
  handlers[0].handlers.element(hero);
  assert.deepEqual(hero.calls, [["setInnerContent", markup, true]]);
  const offer = element({ class: "offer\tband\n" });
  handlers[1].handlers.element(offer);
  assert.equal(offer.attributes.class, "offer\tband vip");
  const ad = element();
  handlers[2].handlers.element(ad);
  assert.deepEqual(ad.calls, [["remove"]]);
});

test("a failing element call leaves that element alone instead of throwing into the stream", () => {
  const [only] = rewritePage(null, encode([["p", "setAttribute", "title", "x"]]));
  const broken = { setAttribute: () => { throw new Error("boom"); } };
  assert.doesNotThrow(() => only.handlers.element(broken));
});

test("a malformed plan is refused, never read past or looped over", () => {
  for (const plan of ["-5:abc6:remove0:0:", "x:", "99:ab", "1.5:ab", "2:#a", "2:#a6:remove0:", "2:#a7:unknown0:0:"]) {
    assert.throws(() => rewritePage(null, plan), /tailor: (a malformed rewrite plan|no element method)/, JSON.stringify(plan));
  }
  assert.deepEqual(rewritePage(null, ""), []);
});
