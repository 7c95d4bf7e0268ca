//! Slot content templates: a small, safe, Liquid-flavoured language, compiled once when the
//! config loads and rendered per request against the visitor's attributes. Rendering never
//! fails: anything missing renders as nothing.
//!
//! # Syntax
//!
//! - Output: `{{ customer.firstName }}`; paths are dotted (`cart.items.0.title`,
//!   `cart.items[0]["title"]`); `.size` of an array, string or object, `.first` / `.last` of
//!   an array. Literals: `"text"` or `'text'` (no escapes), `12`, `-1.5`, `true`, `false`,
//!   `nil`. Nil and objects print as nothing, arrays as their items run together.
//! - Filters, chainable: `{{ customer.firstName | default: "there" | capitalize }}`.
//!   `default: v` (for nil, missing, `""`, `false` and `[]`), `upcase`, `downcase`,
//!   `capitalize` (first letter up, the rest down), `truncate: n` (at most `n` characters,
//!   the last being `…`), `money` (`12.5` → `12.50`; `money: "USD"` → `$12.50`, `EUR` €,
//!   `GBP` £, other codes `12.50 CHF`; amounts are in major units, not Shopify's cents),
//!   `round` / `round: 2`, `plus: n`, `minus: n`, `times: n` (whole numbers stay whole, nil
//!   counts as 0), `join` / `join: ", "`, `first`, `last`, `size`, `url_encode`. Arguments
//!   may be literals or paths.
//! - Tags: `{% if c %}…{% elsif c %}…{% else %}…{% endif %}`,
//!   `{% unless c %}…{% else %}…{% endunless %}`,
//!   `{% for item in cart.items limit: 3 reversed %}…{% else %}(empty){% endfor %}` with
//!   `forloop.index`, `index0`, `rindex`, `rindex0`, `first`, `last`, `length`;
//!   `{% raw %}…{% endraw %}` (verbatim) and `{% comment %}…{% endcomment %}` (dropped).
//! - Whitespace control: `{{-`, `-}}`, `{%-`, `-%}` remove the whitespace (newlines included)
//!   before or after them.
//! - Conditions: `a`, `a == b`, `!=` (or `<>`), `<`, `>`, `<=`, `>=`, `a contains b` (an
//!   array item equal to `b`, or a substring), joined by `and` / `or` evaluated right to left
//!   with no precedence and no parentheses, as in Liquid: `a or b and c` is `a or (b and c)`.
//!   Numbers compare as numbers, strings as strings; mixed kinds are never ordered.
//! - Truthiness is Liquid's: only nil (or a missing value) and `false` are falsy; `0`, `""`
//!   and `[]` are true. Use `{% if x != "" %}`, `{% if x.size > 0 %}` or `default` for those.
//!
//! # Safety
//!
//! In [`TemplateMode::Html`] the template's literal markup is trusted, the data is not. A
//! light HTML tokenizer gives every `{{ }}` a context at compile time:
//!
//! - in text and in quoted attribute values, output is HTML-escaped (`& < > " '`);
//! - in a tag outside a quoted value (tag name, attribute name, unquoted value), inside
//!   `<script>`, `<style>`, `<textarea>`, `<title>` (and the other raw-text elements) or an
//!   HTML comment, in `on*` event handlers, `style`, `srcdoc` and SVG animation attributes:
//!   a compile error;
//! - in a URL attribute (`href`, `src`, `action`, `formaction`, `srcset`, `poster`, `data`,
//!   `xlink:href`, …): an output that may begin the URL must render a relative URL or one with
//!   an `http:`, `https:`, `mailto:` or `tel:` scheme, else it renders as `#`; an output after
//!   the URL's `?` or `#` is percent-encoded as by `url_encode` (unless its last filter is
//!   `url_encode`), so data cannot add parameters. An output in the path (`/p/{{ handle }}`)
//!   is only escaped.
//! - `if` branches (and loop bodies) must end in compatible contexts, and the template must
//!   end in text, so every output's context is known whatever the data.
//!
//! [`TemplateMode::AttributeValue`] applies the same attribute rules to a template that is
//! one attribute's plain-text value (the rewriter escapes it), without HTML escaping.
//!
//! # Limits
//!
//! Source at most [`MAX_SOURCE_BYTES`], blocks nested at most [`MAX_DEPTH`] deep, loops of at
//! most [`MAX_LOOP_ITEMS`] items, at most [`MAX_RENDER_STEPS`] nodes and iterations per
//! render, output at most [`MAX_OUTPUT_BYTES`]: past the cap (or the steps) the output is cut
//! at the last point that is in HTML text, never inside a tag, an attribute value or an
//! entity.

mod escape;
mod html;
mod parse;
mod render;

use serde_json::Value;

use crate::config::ConfigError;
use parse::{Condition, Filter, Node, Operand, Segment};

/// The longest template source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 32 * 1024;
/// How deeply `if` / `unless` / `for` blocks may nest.
pub const MAX_DEPTH: usize = 16;
/// The most items a `for` loop iterates (a larger `limit` is lowered to this).
pub const MAX_LOOP_ITEMS: usize = 100;
/// The longest rendered output, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// The most nodes and loop iterations one render visits (nested loops multiply).
pub const MAX_RENDER_STEPS: u32 = 100_000;

/// What a template produces, which decides how its outputs are made safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateMode {
    /// A fragment of HTML: outputs are escaped for their context (see the module docs).
    Html,
    /// The plain-text value of one attribute, which the rewriter escapes when setting it.
    AttributeValue {
        /// The attribute's name: URL attributes get the scheme check, `on*` and `style`
        /// reject variables.
        attribute: String,
    },
}

/// A compiled template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
}

impl Template {
    /// Compiles `source`. Every error carries `path` (the JSON path of the template in the
    /// config, e.g. `slots[2].content.vip`) and, where it helps, the line and column in the
    /// template: `slots[2].content.vip: line 1, column 14: unknown filter "upcasee" (did you
    /// mean "upcase"?)`.
    pub fn compile(
        source: &str,
        mode: TemplateMode,
        path: &str,
    ) -> Result<Template, Vec<ConfigError>> {
        if source.len() > MAX_SOURCE_BYTES {
            return Err(vec![ConfigError::new(
                path,
                format!(
                    "the template is {} bytes; at most {MAX_SOURCE_BYTES} are allowed",
                    source.len()
                ),
            )]);
        }
        let locate = |errors: Vec<parse::Located>| -> Vec<ConfigError> {
            let mut errors: Vec<ConfigError> = errors
                .into_iter()
                .map(|(offset, message)| {
                    let (line, column) = line_column(source, offset);
                    ConfigError::new(path, format!("line {line}, column {column}: {message}"))
                })
                .collect();
            // NOTE: a loop body may be checked twice; report each problem once.
            let mut seen = Vec::new();
            errors.retain(|e| {
                let new = !seen.contains(&e.message);
                seen.push(e.message.clone());
                new
            });
            errors
        };
        let mut nodes = parse::parse(source).map_err(locate)?;
        let mut scanner = match &mode {
            TemplateMode::Html => html::Scanner::html(),
            TemplateMode::AttributeValue { attribute } => html::Scanner::attribute(attribute),
        };
        let mut errors = Vec::new();
        scanner.annotate(&mut nodes, &mut errors);
        scanner.finish(source.len(), &mut errors);
        if errors.is_empty() {
            Ok(Self { nodes })
        } else {
            Err(locate(errors))
        }
    }

    /// Renders against `context` (the visitor's attributes). Total: missing values render as
    /// nothing, the output is bounded, it never panics.
    pub fn render(&self, context: &Value) -> String {
        render::render(&self.nodes, context)
    }

    /// Whether the template is plain text (no outputs or tags): callers can use the text as
    /// it is and skip rendering.
    pub fn is_static(&self) -> bool {
        self.nodes.iter().all(|n| matches!(n, Node::Text { .. }))
    }

    /// The template's literal text, when it [`is_static`](Self::is_static).
    pub fn static_text(&self) -> Option<String> {
        self.nodes
            .iter()
            .map(|n| match n {
                Node::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The dotted paths into the context the template reads (`customer.firstName`,
    /// `cart.items`), in order of first use, without loop variables and `forloop`: for
    /// validation warnings about attributes that do not exist.
    pub fn variables(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut locals = Vec::new();
        collect_variables(&self.nodes, &mut locals, &mut found);
        found
    }
}

fn collect_variables(nodes: &[Node], locals: &mut Vec<String>, found: &mut Vec<String>) {
    for node in nodes {
        match node {
            Node::Text { .. } => {}
            Node::Output { value, filters, .. } => {
                note(value, locals, found);
                for argument in filters.iter().filter_map(filter_argument) {
                    note(argument, locals, found);
                }
            }
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                for (condition, body) in branches {
                    note_condition(condition, locals, found);
                    collect_variables(body, locals, found);
                }
                collect_variables(otherwise, locals, found);
            }
            Node::For {
                variable,
                collection,
                body,
                empty,
                ..
            } => {
                note(collection, locals, found);
                locals.push(variable.clone());
                collect_variables(body, locals, found);
                locals.pop();
                collect_variables(empty, locals, found);
            }
        }
    }
}

fn note_condition(condition: &Condition, locals: &[String], found: &mut Vec<String>) {
    let comparisons =
        std::iter::once(&condition.first).chain(condition.rest.iter().map(|(_, c)| c));
    for comparison in comparisons {
        note(&comparison.left, locals, found);
        if let Some((_, right)) = &comparison.right {
            note(right, locals, found);
        }
    }
}

fn note(operand: &Operand, locals: &[String], found: &mut Vec<String>) {
    let Operand::Path(path) = operand else { return };
    if let Some(Segment::Key(first)) = path.first() {
        if first == "forloop" || locals.contains(first) {
            return;
        }
    }
    let dotted = path
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.clone(),
            Segment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".");
    if !found.contains(&dotted) {
        found.push(dotted);
    }
}

fn filter_argument(filter: &Filter) -> Option<&Operand> {
    match filter {
        Filter::Default(a)
        | Filter::Truncate(a)
        | Filter::Plus(a)
        | Filter::Minus(a)
        | Filter::Times(a) => Some(a),
        Filter::Money(a) | Filter::Round(a) | Filter::Join(a) => a.as_ref(),
        _ => None,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
