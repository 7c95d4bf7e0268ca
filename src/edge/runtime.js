// The page Worker's hot-path calls into the runtime, as small JavaScript functions that
// src/edge binds with wasm-bindgen. Each replaces many crossings between the Wasm and
// JavaScript (every crossing costs, and strings are copied each way) with one.

const AS_HTML = Object.freeze({ html: true });

// HTML's ASCII whitespace, which separates the classes in `class` (Rust's split_ascii_whitespace).
const CLASS_SEPARATOR = /[\t\n\f\r ]+/;
const TRAILING_SPACE = /[\t\n\f\r ]+$/;
const classesOf = (value) => value.split(CLASS_SEPARATOR).filter((name) => name !== "");

/**
 * The element handler for one call of a rewrite plan, as `Method::apply` in
 * src/rewrite/action.rs performs it natively: `first` is the markup, the attribute's name or
 * the class, `second` the attribute's value. The golden pages check both give the same bytes.
 */
function edit(method, first, second) {
  switch (method) {
    case "remove":
      return (element) => element.remove();
    case "removeAttribute":
      return (element) => element.removeAttribute(first);
    case "setAttribute":
      return (element) => element.setAttribute(first, second);
    case "setInnerContent":
    case "replace":
    case "before":
    case "after":
    case "prepend":
    case "append":
      return (element) => element[method](first, AS_HTML);
    case "addClass":
      return (element) => {
        const current = element.getAttribute("class") ?? "";
        const classes = classesOf(current);
        if (classes.includes(first)) return;
        element.setAttribute("class", classes.length === 0 ? first : `${current.replace(TRAILING_SPACE, "")} ${first}`);
      };
    case "removeClass":
      return (element) => {
        const current = element.getAttribute("class");
        if (current === null) return;
        const classes = classesOf(current);
        if (!classes.includes(first)) return;
        element.setAttribute("class", classes.filter((name) => name !== first).join(" "));
      };
    default:
      throw new Error(`tailor: no element method ${method}`);
  }
}

/**
 * `response` with its body rewritten by a plan as it streams, the plan given in one string as
 * `RewritePlan::encode_for_runtime` writes it: four fields per edit (selector, method, first
 * and second argument), each its length in UTF-16 code units, ":" and the text. The handlers
 * are plain JavaScript, so elements stream through without calling back into the Wasm. A
 * failing call leaves that element unchanged: an exception inside the rewriter would break a
 * response already started.
 */
export function rewritePage(response, plan) {
  let at = 0;
  const field = () => {
    const colon = plan.indexOf(":", at);
    const length = colon < 0 ? NaN : Number(plan.slice(at, colon));
    const end = colon + 1 + length;
    // Only Rust writes the plan; a malformed one (a bug) fails the rewrite, never loops.
    if (!Number.isInteger(length) || length < 0 || end > plan.length) {
      throw new Error("tailor: a malformed rewrite plan");
    }
    const text = plan.slice(colon + 1, end);
    at = end;
    return text;
  };
  const rewriter = new HTMLRewriter();
  while (at < plan.length) {
    const selector = field();
    const apply = edit(field(), field(), field());
    rewriter.on(selector, {
      element(element) {
        try {
          apply(element);
        } catch {
          // Fail open: this element stays as the origin sent it.
        }
      },
    });
  }
  return rewriter.transform(response);
}

/**
 * What Tailor reads of a request, in one crossing: method, URL, the headers it reads and
 * Cloudflare's `request.cf` fields (absent in local development), in the order `extract` in
 * src/edge/facts.rs reads them. Each field is "=" and its value, or "" when absent; fields are
 * separated by NUL, which no method, URL or header value can hold (cf strings holding one are
 * dropped).
 */
export function requestFacts(request) {
  const headers = request.headers;
  const cf = typeof request.cf === "object" && request.cf !== null ? request.cf : {};
  const bot = typeof cf.botManagement === "object" && cf.botManagement !== null ? cf.botManagement : {};
  const field = (value) => (typeof value === "string" && !value.includes("\0") ? `=${value}` : "");
  const cfText = (value) => (value === "" ? "" : field(value));
  return [
    field(request.method),
    field(request.url),
    field(headers.get("cookie")),
    field(headers.get("user-agent")),
    field(headers.get("accept-language")),
    field(headers.get("referer")),
    field(headers.get("sec-gpc")),
    field(headers.get("accept")),
    field(headers.get("upgrade")),
    field(headers.get("range")),
    cfText(cf.country),
    cfText(cf.region),
    cfText(cf.continent),
    cfText(cf.timezone),
    typeof bot.score === "number" ? `=${bot.score}` : "",
    bot.verifiedBot === true ? "=1" : "",
  ].join("\0");
}

/**
 * `key` of the KV namespace `env[binding]` as text (null when absent), in one crossing. It
 * rejects with the reason Tailor logs: the read failed, or it took longer than `timeoutMs`
 * (the page does not wait for a hung read).
 */
export function kvText(env, binding, key, timeoutMs) {
  const kv = env[binding];
  if (kv === undefined || kv === null || typeof kv.get !== "function") {
    return Promise.reject(new Error(`KV binding ${binding} unavailable`));
  }
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV read took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  const read = Promise.resolve()
    .then(() => kv.get(key, "text"))
    .catch((error) => {
      throw new Error(`KV read failed: ${error instanceof Error ? error.message : error}`);
    });
  return Promise.race([read, late]).finally(() => clearTimeout(timer));
}

/**
 * Sends text messages to the Queue `env[binding]` as one batch, in one crossing: `lines` holds
 * one message per line (Tailor's messages are compact JSON, which never holds a raw newline).
 * Resolves once the Queue has taken them; rejects with the reason Tailor logs.
 */
export function queueTexts(env, binding, lines) {
  const queue = env[binding];
  if (queue === undefined || queue === null || typeof queue.sendBatch !== "function") {
    return Promise.reject(new Error(`no ${binding} queue binding`));
  }
  const messages = lines.split("\n").map((body) => ({ body, contentType: "text" }));
  return Promise.resolve()
    .then(() => queue.sendBatch(messages))
    .then(
      () => undefined,
      (error) => {
        throw new Error(`the queue refused the batch: ${error instanceof Error ? error.message : error}`);
      },
    );
}

/**
 * Fetches `request` from the origin at `origin` (scheme and host): same method, headers and
 * body stream, the path and query string kept, the origin's redirects handed back to the
 * browser rather than followed. A GET or HEAD that arrived with a body (some clients send
 * `Content-Length: 0`) goes without it: a Request with those methods cannot have one.
 */
export function fetchOrigin(origin, request) {
  const url = new URL(request.url);
  const method = request.method;
  const init = { method, headers: request.headers, redirect: "manual" };
  const upper = method.toUpperCase();
  if (upper !== "GET" && upper !== "HEAD" && request.body !== null) init.body = request.body;
  return fetch(origin + url.pathname + url.search, init);
}

/**
 * `source` with Tailor's header changes: `changes` holds one change per line, "-name"
 * (delete), "=name\0value" (set) or "+name\0value" (append), applied in that order of lines.
 * Header names and values cannot hold a NUL or a newline. With `inPlace` the changes are made
 * to `source`'s own headers (the HTMLRewriter's response has mutable ones), saving a copy of
 * the headers and a new Response; a response whose headers are immutable (the origin's, as
 * fetched) throws at the first change, before anything changed, and is copied instead.
 */
export function withHeaders(source, changes, inPlace) {
  if (inPlace) {
    try {
      applyHeaderChanges(source.headers, changes);
      return source;
    } catch {
      // Immutable headers: copied below.
    }
  }
  const headers = new Headers(source.headers);
  applyHeaderChanges(headers, changes);
  return new Response(source.body, { status: source.status, statusText: source.statusText, headers });
}

function applyHeaderChanges(headers, changes) {
  for (const line of changes.split("\n")) {
    const op = line[0];
    const rest = line.slice(1);
    if (op === "-") {
      headers.delete(rest);
    } else if (op === "=" || op === "+") {
      const at = rest.indexOf("\0");
      const name = rest.slice(0, at);
      const value = rest.slice(at + 1);
      if (op === "=") headers.set(name, value);
      else headers.append(name, value);
    }
  }
}
