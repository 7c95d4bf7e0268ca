//! The template parser: source text → a tree of [`Node`]s.
//!
//! Two levels, both hand-written: the template is first split into literal text, `{{ }}`
//! outputs and `{% %}` tags (applying `{%- -%}` trimming and `{% raw %}`), then the pieces are
//! assembled into blocks and each output or tag is tokenised and parsed. Nothing here recurses
//! deeper than the block nesting limit: conditions and filter chains are flat lists.

use serde_json::Value;

use super::escape::{Cuts, Sink};
use super::{MAX_DEPTH, MAX_LOOP_ITEMS};
use crate::config::read::closest;

/// A problem at a byte offset of the template source.
pub(super) type Located = (usize, String);

/// One node of a compiled template.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// Literal text (the merchant's own markup), with where it may safely be cut.
    Text {
        text: String,
        offset: usize,
        cuts: Cuts,
    },
    /// `{{ value | filter … }}`, and how its result is made safe where it lands.
    Output {
        value: Operand,
        filters: Vec<Filter>,
        sink: Sink,
        offset: usize,
    },
    /// `if`/`elsif`/`else` (and `unless`, as a negated first condition).
    If {
        branches: Vec<(Condition, Vec<Node>)>,
        otherwise: Vec<Node>,
        offset: usize,
    },
    /// `for variable in collection limit: n reversed` … `else` … `endfor`.
    For {
        variable: String,
        collection: Operand,
        limit: usize,
        reversed: bool,
        body: Vec<Node>,
        empty: Vec<Node>,
        offset: usize,
    },
}

/// A literal or a path into the context.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Literal(Value),
    Path(Vec<Segment>),
}

/// One step of a path: `.name`, `["name"]`, `.0` or `[0]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

/// `left` alone (truthiness) or `left op right`.
#[derive(Debug, Clone)]
pub(super) struct Comparison {
    pub left: Operand,
    pub right: Option<(CompareOp, Operand)>,
}

/// `and` / `or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Logic {
    And,
    Or,
}

/// `c0 op1 c1 op2 c2 …`, evaluated right to left as Liquid does; `negate` for `unless`.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    pub negate: bool,
    pub first: Comparison,
    pub rest: Vec<(Logic, Comparison)>,
}

/// A filter with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Filter {
    Default(Operand),
    Upcase,
    Downcase,
    Capitalize,
    Truncate(Operand),
    Money(Option<Operand>),
    Round(Option<Operand>),
    Plus(Operand),
    Minus(Operand),
    Times(Operand),
    Join(Option<Operand>),
    First,
    Last,
    Size,
    UrlEncode,
}

/// Every filter with its minimum and maximum number of arguments.
const FILTERS: [(&str, usize, usize); 15] = [
    ("default", 1, 1),
    ("upcase", 0, 0),
    ("downcase", 0, 0),
    ("capitalize", 0, 0),
    ("truncate", 1, 1),
    ("money", 0, 1),
    ("round", 0, 1),
    ("plus", 1, 1),
    ("minus", 1, 1),
    ("times", 1, 1),
    ("join", 0, 1),
    ("first", 0, 0),
    ("last", 0, 0),
    ("size", 0, 0),
    ("url_encode", 0, 0),
];

/// Every tag name, for suggestions.
const TAGS: [&str; 12] = [
    "if",
    "elsif",
    "else",
    "endif",
    "unless",
    "endunless",
    "for",
    "endfor",
    "raw",
    "endraw",
    "comment",
    "endcomment",
];

/// Parses a whole template. Errors are collected (several per template when possible).
pub(super) fn parse(source: &str) -> Result<Vec<Node>, Vec<Located>> {
    let pieces = split(source).map_err(|e| vec![e])?;
    let mut builder = Builder {
        source,
        pieces,
        next: 0,
        errors: Vec::new(),
        fatal: false,
    };
    let (nodes, end) = builder.block(0, &[]);
    if let Some(end) = end {
        builder.unexpected(&end);
    }
    if builder.errors.is_empty() {
        Ok(nodes)
    } else {
        Err(builder.errors)
    }
}

// ---------------------------------------------------------------------------------------------
// Level 1: text, outputs and tags.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PieceKind {
    Text,
    Output,
    Tag,
}

/// A range of the source: literal text, or the inside of `{{ }}` / `{% %}` (`open` is where
/// the delimiter starts, for error positions).
#[derive(Debug, Clone, Copy)]
struct Piece {
    kind: PieceKind,
    start: usize,
    end: usize,
    open: usize,
}

fn split(source: &str) -> Result<Vec<Piece>, Located> {
    let bytes = source.as_bytes();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut at = 0;
    // NOTE: `-}}` / `-%}` trims the whitespace that starts the next literal text.
    let mut trim_next = false;
    let push_text = |pieces: &mut Vec<Piece>, start: usize, end: usize, trim: &mut bool| {
        let mut start = start;
        if std::mem::take(trim) {
            start = end - source[start..end].trim_start().len();
        }
        if start < end {
            pieces.push(Piece {
                kind: PieceKind::Text,
                start,
                end,
                open: start,
            });
        }
    };
    while at < source.len() {
        let Some(open) = find_open(source, at) else {
            push_text(&mut pieces, at, source.len(), &mut trim_next);
            break;
        };
        push_text(&mut pieces, at, open, &mut trim_next);
        let output = bytes[open + 1] == b'{';
        let mut start = open + 2;
        if bytes.get(start) == Some(&b'-') {
            start += 1;
            trim_last_text(&mut pieces, source);
        }
        let close = if output { "}}" } else { "%}" };
        let Some(end) = find_close(source, start, close) else {
            let what = if output {
                "{{ is never closed with }}"
            } else {
                "{% is never closed with %}"
            };
            return Err((open, what.to_string()));
        };
        let trimmed_end = if end > start && bytes[end - 1] == b'-' {
            end - 1
        } else {
            end
        };
        trim_next = trimmed_end != end;
        at = end + 2;
        if output {
            pieces.push(Piece {
                kind: PieceKind::Output,
                start,
                end: trimmed_end,
                open,
            });
            continue;
        }
        let word = first_word(&source[start..trimmed_end]);
        if word == "raw" || word == "comment" {
            let end_name = if word == "raw" {
                "endraw"
            } else {
                "endcomment"
            };
            let Some(block_end) = find_end_block(source, at, end_name) else {
                return Err((
                    open,
                    format!("{{% {word} %}} is never closed with {{% {end_name} %}}"),
                ));
            };
            if word == "raw" && block_end.content_end > at {
                // NOTE: raw content is verbatim: neither `raw -%}` nor `{%- endraw` trims it.
                pieces.push(Piece {
                    kind: PieceKind::Text,
                    start: at,
                    end: block_end.content_end,
                    open: at,
                });
            }
            trim_next = block_end.trim_after;
            at = block_end.after;
            continue;
        }
        pieces.push(Piece {
            kind: PieceKind::Tag,
            start,
            end: trimmed_end,
            open,
        });
    }
    Ok(pieces)
}

/// `{{-` / `{%-`: trims the whitespace that ends the previous literal text.
fn trim_last_text(pieces: &mut Vec<Piece>, source: &str) {
    if let Some(last) = pieces.last_mut().filter(|p| p.kind == PieceKind::Text) {
        last.end = last.start + source[last.start..last.end].trim_end().len();
        if last.start == last.end {
            pieces.pop();
        }
    }
}

fn first_word(inner: &str) -> &str {
    let inner = inner.trim_start();
    let len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    &inner[..len]
}

fn find_open(source: &str, from: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    (from..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%'))
}

/// The start of `close`, skipping quoted strings (which may contain `}}`).
fn find_close(source: &str, from: usize, close: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i = bytes[i + 1..]
                    .iter()
                    .position(|&b| b == quote)
                    .map_or(bytes.len(), |p| i + 1 + p + 1);
            }
            _ if bytes[i..].starts_with(close.as_bytes()) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

struct BlockEnd {
    content_end: usize,
    after: usize,
    trim_after: bool,
}

/// Finds `{% endraw %}` (or `endcomment`), with optional trimming dashes.
fn find_end_block(source: &str, from: usize, name: &str) -> Option<BlockEnd> {
    let mut search = from;
    while let Some(rel) = source.get(search..)?.find("{%") {
        let open = search + rel;
        let mut i = open + 2;
        if source[i..].starts_with('-') {
            i += 1;
        }
        i += source[i..].len() - source[i..].trim_start().len();
        if source[i..].starts_with(name) {
            i += name.len();
            i += source[i..].len() - source[i..].trim_start().len();
            let trim_after = source[i..].starts_with('-');
            if trim_after {
                i += 1;
            }
            if source[i..].starts_with("%}") {
                return Some(BlockEnd {
                    content_end: open,
                    after: i + 2,
                    trim_after,
                });
            }
        }
        search = open + 2;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Level 2: blocks.

/// The tag that ended a block: its name, its remaining tokens, and where it starts.
struct End {
    name: String,
    tokens: Cursor,
    open: usize,
}

struct Builder<'s> {
    source: &'s str,
    pieces: Vec<Piece>,
    next: usize,
    errors: Vec<Located>,
    // NOTE: set when going on would be pointless or unbounded (too deep); stops everything.
    fatal: bool,
}

impl Builder<'_> {
    /// Nodes up to a tag named in `ends` (returned) or the end of the template (`None`).
    fn block(&mut self, depth: usize, ends: &[&str]) -> (Vec<Node>, Option<End>) {
        let mut nodes = Vec::new();
        while let Some(piece) = self.pieces.get(self.next).copied() {
            if self.fatal {
                break;
            }
            self.next += 1;
            let inner = &self.source[piece.start..piece.end];
            match piece.kind {
                PieceKind::Text => nodes.push(Node::Text {
                    text: inner.to_string(),
                    offset: piece.start,
                    cuts: Cuts::Anywhere,
                }),
                PieceKind::Output => {
                    match lex(inner, piece.start).and_then(|t| output(t, piece.open)) {
                        Ok(node) => nodes.push(node),
                        Err(e) => self.errors.push(e),
                    }
                }
                PieceKind::Tag => {
                    let mut tokens = match lex(inner, piece.start) {
                        Ok(tokens) => tokens,
                        Err(e) => {
                            self.errors.push(e);
                            continue;
                        }
                    };
                    let name = match tokens.next() {
                        Some(Token {
                            tok: Tok::Ident(name),
                            ..
                        }) => name,
                        _ => {
                            self.errors
                                .push((piece.open, "expected a tag name after {%".into()));
                            continue;
                        }
                    };
                    if ends.contains(&name.as_str()) {
                        return (
                            nodes,
                            Some(End {
                                name,
                                tokens,
                                open: piece.open,
                            }),
                        );
                    }
                    let end = End {
                        name,
                        tokens,
                        open: piece.open,
                    };
                    if let Some(node) = self.tag(end, depth) {
                        nodes.push(node);
                    }
                }
            }
        }
        (nodes, None)
    }

    /// An opening tag (`if`, `unless`, `for`) and its whole block, or an error.
    fn tag(&mut self, tag: End, depth: usize) -> Option<Node> {
        let End { name, tokens, open } = tag;
        let opens_block = matches!(name.as_str(), "if" | "unless" | "for");
        if opens_block && depth >= MAX_DEPTH {
            self.errors.push((
                open,
                format!("blocks are nested more than {MAX_DEPTH} deep"),
            ));
            self.fatal = true;
            return None;
        }
        match name.as_str() {
            "if" | "unless" => self.if_block(&name, tokens, open, depth),
            "for" => self.for_block(tokens, open, depth),
            _ if TAGS.contains(&name.as_str()) => {
                self.unexpected(&End { name, tokens, open });
                None
            }
            _ => {
                let hint = closest(&name, &TAGS)
                    .map(|t| format!(" (did you mean \"{t}\"?)"))
                    .unwrap_or_default();
                self.errors
                    .push((open, format!("unknown tag \"{name}\"{hint}")));
                None
            }
        }
    }

    fn unexpected(&mut self, end: &End) {
        self.errors.push((
            end.open,
            format!("{{% {} %}} has no matching opening tag here", end.name),
        ));
    }

    fn never_closed(&mut self, name: &str, open: usize, closer: &str) {
        self.errors.push((
            open,
            format!("{{% {name} %}} is never closed with {{% {closer} %}}"),
        ));
    }

    fn if_block(&mut self, name: &str, tokens: Cursor, open: usize, depth: usize) -> Option<Node> {
        let closer = if name == "if" { "endif" } else { "endunless" };
        let mut pending = self.report(condition(tokens));
        if let Some(c) = &mut pending {
            c.negate = name == "unless";
        }
        let mut branches = Vec::new();
        let mut otherwise = Vec::new();
        let mut ok = pending.is_some();
        loop {
            let (body, end) = self.block(depth + 1, &["elsif", "else", closer]);
            if let Some(c) = pending.take() {
                branches.push((c, body));
            }
            let Some(end) = end else {
                if !self.fatal {
                    self.never_closed(name, open, closer);
                }
                return None;
            };
            match end.name.as_str() {
                "elsif" => {
                    pending = self.report(condition(end.tokens));
                    ok &= pending.is_some();
                }
                "else" => {
                    ok &= self.report(end.tokens.finish()).is_some();
                    let (body, end) = self.block(depth + 1, &[closer]);
                    otherwise = body;
                    if end.is_none() {
                        if !self.fatal {
                            self.never_closed(name, open, closer);
                        }
                        return None;
                    }
                    break;
                }
                _ => {
                    ok &= self.report(end.tokens.finish()).is_some();
                    break;
                }
            }
        }
        ok.then_some(Node::If {
            branches,
            otherwise,
            offset: open,
        })
    }

    fn for_block(&mut self, tokens: Cursor, open: usize, depth: usize) -> Option<Node> {
        let header = self.report(for_header(tokens));
        let (body, end) = self.block(depth + 1, &["else", "endfor"]);
        let Some(end) = end else {
            if !self.fatal {
                self.never_closed("for", open, "endfor");
            }
            return None;
        };
        let mut ok = self.report(end.tokens.finish()).is_some();
        let mut empty = Vec::new();
        if end.name == "else" {
            let (nodes, end) = self.block(depth + 1, &["endfor"]);
            let Some(end) = end else {
                if !self.fatal {
                    self.never_closed("for", open, "endfor");
                }
                return None;
            };
            ok &= self.report(end.tokens.finish()).is_some();
            empty = nodes;
        }
        let (variable, collection, limit, reversed) = header?;
        ok.then_some(Node::For {
            variable,
            collection,
            limit,
            reversed,
            body,
            empty,
            offset: open,
        })
    }

    fn report<T>(&mut self, result: Result<T, Located>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }
}

// ---------------------------------------------------------------------------------------------
// Level 3: the inside of outputs and tags.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Value),
    Dot,
    Open,
    Close,
    Pipe,
    Colon,
    Comma,
    Compare(CompareOp),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
}

/// Tokens of one output or tag, with the offset just past them for "at the end" errors.
struct Cursor {
    tokens: Vec<Token>,
    next: usize,
    end: usize,
}

impl Cursor {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.next).map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += usize::from(token.is_some());
        token
    }

    /// Where the next token is (or the end).
    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |t| t.at)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.peek() == Some(tok);
        self.next += usize::from(found);
        found
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Tok::Ident(w)) if w == word);
        self.next += usize::from(found);
        found
    }

    /// Fails if anything is left.
    fn finish(self) -> Result<(), Located> {
        match self.tokens.get(self.next) {
            None => Ok(()),
            Some(t) => Err((t.at, format!("unexpected {}", describe(&t.tok)))),
        }
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(w) => format!("\"{w}\""),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Num(n) => format!("number {n}"),
        Tok::Dot => "\".\"".into(),
        Tok::Open => "\"[\"".into(),
        Tok::Close => "\"]\"".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::Colon => "\":\"".into(),
        Tok::Comma => "\",\"".into(),
        Tok::Compare(_) => "comparison".into(),
    }
}

fn lex(inner: &str, base: usize) -> Result<Cursor, Located> {
    let bytes = inner.as_bytes();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = base + i;
        let after_dot = matches!(tokens.last(), Some(Token { tok: Tok::Dot, .. }));
        let (tok, len) = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'.' => (Tok::Dot, 1),
            b'[' => (Tok::Open, 1),
            b']' => (Tok::Close, 1),
            b'|' => (Tok::Pipe, 1),
            b':' => (Tok::Colon, 1),
            b',' => (Tok::Comma, 1),
            b'"' | b'\'' => {
                let Some(len) = bytes[i + 1..].iter().position(|&b| b == c) else {
                    return Err((at, "this string is never closed".into()));
                };
                (Tok::Str(inner[i + 1..i + 1 + len].to_string()), len + 2)
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = inner.get(i..i + 2).unwrap_or("");
                match (two, c) {
                    ("==", _) => (Tok::Compare(CompareOp::Eq), 2),
                    ("!=" | "<>", _) => (Tok::Compare(CompareOp::Ne), 2),
                    ("<=", _) => (Tok::Compare(CompareOp::Le), 2),
                    (">=", _) => (Tok::Compare(CompareOp::Ge), 2),
                    (_, b'<') => (Tok::Compare(CompareOp::Lt), 1),
                    (_, b'>') => (Tok::Compare(CompareOp::Gt), 1),
                    (_, b'=') => return Err((at, "use == to compare".into())),
                    _ => return Err((at, "unexpected \"!\" (use != to compare)".into())),
                }
            }
            b'0'..=b'9' | b'-' => {
                let digits = |from: usize| {
                    bytes[from..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(bytes.len(), |p| from + p)
                };
                let start = i + usize::from(c == b'-');
                let mut end = digits(start);
                if end == start {
                    return Err((at, "unexpected \"-\"".into()));
                }
                // NOTE: after a dot only an index is meant: `items.0.5` is items[0][5].
                let fraction = !after_dot
                    && bytes.get(end) == Some(&b'.')
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
                if fraction {
                    end = digits(end + 1);
                }
                let text = &inner[i..end];
                let number = match text.parse::<i64>() {
                    Ok(n) if !fraction => Value::from(n),
                    _ => text.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
                };
                (Tok::Num(number), end - i)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')))
                    .unwrap_or(bytes.len() - i);
                (Tok::Ident(inner[i..i + len].to_string()), len)
            }
            _ => {
                let ch = inner[i..].chars().next().unwrap_or('?');
                return Err((at, format!("unexpected character {ch:?}")));
            }
        };
        tokens.push(Token { tok, at });
        i += len;
    }
    Ok(Cursor {
        tokens,
        next: 0,
        end: base + inner.len(),
    })
}

const RESERVED: [&str; 4] = ["and", "or", "contains", "in"];

fn operand(cursor: &mut Cursor) -> Result<Operand, Located> {
    let at = cursor.at();
    let Some(token) = cursor.next() else {
        return Err((at, "expected a value".into()));
    };
    let name = match token.tok {
        Tok::Str(s) => return Ok(Operand::Literal(Value::String(s))),
        Tok::Num(n) => return Ok(Operand::Literal(n)),
        Tok::Ident(w) if w == "true" || w == "false" => {
            return Ok(Operand::Literal(Value::Bool(w == "true")))
        }
        Tok::Ident(w) if w == "nil" || w == "null" => return Ok(Operand::Literal(Value::Null)),
        Tok::Ident(w) if !RESERVED.contains(&w.as_str()) => w,
        other => return Err((at, format!("expected a value, found {}", describe(&other)))),
    };
    let mut path = vec![Segment::Key(name)];
    loop {
        if cursor.eat(&Tok::Dot) {
            let at = cursor.at();
            match cursor.next().map(|t| t.tok) {
                Some(Tok::Ident(key)) => path.push(Segment::Key(key)),
                Some(Tok::Num(Value::Number(n))) if n.as_u64().is_some() => {
                    path.push(index(n.as_u64()))
                }
                _ => return Err((at, "expected a name or index after \".\"".into())),
            }
        } else if cursor.eat(&Tok::Open) {
            let at = cursor.at();
            match cursor.next().map(|t| t.tok) {
                Some(Tok::Str(key)) => path.push(Segment::Key(key)),
                Some(Tok::Num(Value::Number(n))) if n.as_u64().is_some() => {
                    path.push(index(n.as_u64()))
                }
                _ => return Err((at, "expected an index or a quoted name after \"[\"".into())),
            }
            if !cursor.eat(&Tok::Close) {
                return Err((cursor.at(), "expected \"]\"".into()));
            }
        } else {
            return Ok(Operand::Path(path));
        }
    }
}

fn index(n: Option<u64>) -> Segment {
    Segment::Index(
        n.and_then(|n| usize::try_from(n).ok())
            .unwrap_or(usize::MAX),
    )
}

fn output(mut cursor: Cursor, open: usize) -> Result<Node, Located> {
    if cursor.peek().is_none() {
        return Err((open, "empty {{ }}: expected a value".into()));
    }
    let value = operand(&mut cursor)?;
    let mut filters = Vec::new();
    while cursor.eat(&Tok::Pipe) {
        filters.push(filter(&mut cursor)?);
    }
    cursor.finish()?;
    Ok(Node::Output {
        value,
        filters,
        sink: Sink::default(),
        offset: open,
    })
}

fn filter(cursor: &mut Cursor) -> Result<Filter, Located> {
    let at = cursor.at();
    let name = match cursor.next().map(|t| t.tok) {
        Some(Tok::Ident(name)) => name,
        _ => return Err((at, "expected a filter name after \"|\"".into())),
    };
    let Some(&(_, min, max)) = FILTERS.iter().find(|(n, _, _)| *n == name) else {
        let names: Vec<&str> = FILTERS.iter().map(|(n, _, _)| *n).collect();
        let hint = closest(&name, &names)
            .map(|n| format!(" (did you mean \"{n}\"?)"))
            .unwrap_or_default();
        return Err((at, format!("unknown filter \"{name}\"{hint}")));
    };
    let mut args = Vec::new();
    if cursor.eat(&Tok::Colon) {
        loop {
            args.push(operand(cursor)?);
            if !cursor.eat(&Tok::Comma) {
                break;
            }
        }
    }
    if args.len() < min || args.len() > max {
        let wanted = match (min, max) {
            (0, 0) => "no arguments".to_string(),
            (1, 1) => "one argument".to_string(),
            _ => "at most one argument".to_string(),
        };
        return Err((at, format!("filter \"{name}\" takes {wanted}")));
    }
    let mut args = args.into_iter();
    let mut arg = || args.next().unwrap_or(Operand::Literal(Value::Null));
    Ok(match name.as_str() {
        "default" => Filter::Default(arg()),
        "upcase" => Filter::Upcase,
        "downcase" => Filter::Downcase,
        "capitalize" => Filter::Capitalize,
        "truncate" => Filter::Truncate(arg()),
        "money" => Filter::Money(Some(arg()).filter(is_given)),
        "round" => Filter::Round(Some(arg()).filter(is_given)),
        "plus" => Filter::Plus(arg()),
        "minus" => Filter::Minus(arg()),
        "times" => Filter::Times(arg()),
        "join" => Filter::Join(Some(arg()).filter(is_given)),
        "first" => Filter::First,
        "last" => Filter::Last,
        "size" => Filter::Size,
        _ => Filter::UrlEncode,
    })
}

/// An optional argument that was given (absent ones come back as a literal nil).
fn is_given(operand: &Operand) -> bool {
    *operand != Operand::Literal(Value::Null)
}

fn comparison(cursor: &mut Cursor) -> Result<Comparison, Located> {
    let left = operand(cursor)?;
    let op = match cursor.peek() {
        Some(Tok::Compare(op)) => Some(*op),
        Some(Tok::Ident(w)) if w == "contains" => Some(CompareOp::Contains),
        _ => None,
    };
    let right = match op {
        Some(op) => {
            cursor.next();
            Some((op, operand(cursor)?))
        }
        None => None,
    };
    Ok(Comparison { left, right })
}

fn condition(mut cursor: Cursor) -> Result<Condition, Located> {
    let first = comparison(&mut cursor)?;
    let mut rest = Vec::new();
    loop {
        let logic = if cursor.eat_word("and") {
            Logic::And
        } else if cursor.eat_word("or") {
            Logic::Or
        } else if cursor.peek().is_none() {
            break;
        } else {
            let at = cursor.at();
            let found = cursor.peek().map(describe).unwrap_or_default();
            return Err((
                at,
                format!(
                    "expected a comparison, \"and\", \"or\" or the end of the tag, found {found}"
                ),
            ));
        };
        rest.push((logic, comparison(&mut cursor)?));
    }
    Ok(Condition {
        negate: false,
        first,
        rest,
    })
}

fn for_header(mut cursor: Cursor) -> Result<(String, Operand, usize, bool), Located> {
    let at = cursor.at();
    let variable = match cursor.next().map(|t| t.tok) {
        Some(Tok::Ident(name)) if !RESERVED.contains(&name.as_str()) => name,
        _ => {
            return Err((
                at,
                "expected a loop variable: {% for item in list %}".into(),
            ))
        }
    };
    if !cursor.eat_word("in") {
        return Err((
            cursor.at(),
            "expected \"in\": {% for item in list %}".into(),
        ));
    }
    let collection = operand(&mut cursor)?;
    let mut limit = MAX_LOOP_ITEMS;
    let mut reversed = false;
    loop {
        let at = cursor.at();
        if cursor.eat_word("limit") {
            if !cursor.eat(&Tok::Colon) {
                return Err((cursor.at(), "expected \":\" after limit".into()));
            }
            let at = cursor.at();
            match cursor.next().map(|t| t.tok) {
                Some(Tok::Num(Value::Number(n))) if n.as_u64().is_some() => {
                    let n = n.as_u64().and_then(|n| usize::try_from(n).ok());
                    limit = n.unwrap_or(usize::MAX).min(MAX_LOOP_ITEMS);
                }
                _ => return Err((at, "limit must be a whole number".into())),
            }
        } else if cursor.eat_word("reversed") {
            reversed = true;
        } else if let Some(token) = cursor.next() {
            return Err((
                at,
                format!(
                    "unexpected {} (a for loop takes limit: n and reversed)",
                    describe(&token.tok)
                ),
            ));
        } else {
            break;
        }
    }
    Ok((variable, collection, limit, reversed))
}
