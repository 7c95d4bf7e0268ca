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
