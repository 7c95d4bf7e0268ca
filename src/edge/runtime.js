// The page Worker's hot-path calls into the runtime, as small JavaScript functions that
// src/edge binds with wasm-bindgen. Each replaces many crossings between the Wasm and
// JavaScript (every crossing costs, and strings are copied each way) with one.

const AS_HTML = Object.freeze({ html: true });

/**
 * Registers one write-only edit with `rewriter`: every element matching `selector` gets
 * `element[method](...)`, with `first` (markup, or an attribute's name) and `second` (an
 * attribute's value) as Rust's `Write::apply` passes them. The handler is plain JavaScript,
 * so elements stream through without calling back into the Wasm. A failing call leaves that
 * element unchanged: an exception inside the rewriter would break a response already started.
 */
export function onWrite(rewriter, selector, method, first, second) {
  let write;
  switch (method) {
    case "remove":
      write = (element) => element.remove();
      break;
    case "removeAttribute":
      write = (element) => element.removeAttribute(first);
      break;
    case "setAttribute":
      write = (element) => element.setAttribute(first, second);
      break;
    case "setInnerContent":
    case "replace":
    case "before":
    case "after":
    case "prepend":
    case "append":
      write = (element) => element[method](first, AS_HTML);
      break;
    default:
      throw new Error(`tailor: no element method ${method}`);
  }
  return rewriter.on(selector, {
    element(element) {
      try {
        write(element);
      } catch {
        // Fail open: this element stays as the origin sent it.
      }
    },
  });
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
 * `source`'s status, body stream and headers, with Tailor's header changes: `changes` holds
 * one change per line, "-name" (delete), "=name\0value" (set) or "+name\0value" (append),
 * applied in that order of lines. Header names and values cannot hold a NUL or a newline.
 */
export function withHeaders(source, changes) {
  const headers = new Headers(source.headers);
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
  return new Response(source.body, { status: source.status, statusText: source.statusText, headers });
}
