//! The compile-time HTML context of every output.
//!
//! A light tokenizer (after the HTML standard's tokenizer states, simplified) runs over the
//! template's literal text in source order. At each `{{ }}` it decides the output's [`Sink`],
//! or rejects the template when no escaping could make the output safe there. `if` branches
//! must end in compatible contexts (as Go's `html/template` requires), so a context is known
//! statically at every output whatever the data.

use super::escape::{Cuts, Sink};
use super::parse::{Located, Node};

/// Elements whose content is not ordinary HTML text: outputs there are rejected.
const RAW_TEXT: [&str; 10] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// Attributes whose value is a URL (or, for `srcset`, a list of them).
const URL_ATTRIBUTES: [&str; 17] = [
    "href",
    "src",
    "action",
    "formaction",
    "srcset",
    "imagesrcset",
    "poster",
    "data",
    "xlink:href",
    "cite",
    "background",
    "ping",
    "manifest",
    "codebase",
    "longdesc",
    "usemap",
    "icon",
];

/// Where an attribute value's URL stands, for outputs inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UrlState {
    /// Nothing has fixed the URL's scheme yet (no `:`, `/`, `?` or `#` in the literal).
    at_start: bool,
    /// An output was written while `at_start`.
    after_output: bool,
    /// Past a `?` or `#`.
    query: bool,
    /// A `srcset`: each `,` starts a new URL.
    list: bool,
}

impl UrlState {
    fn new(list: bool) -> Self {
        Self {
            at_start: true,
            after_output: false,
            query: false,
            list,
        }
    }

    fn merge(self, other: Self) -> Self {
        Self {
            at_start: self.at_start || other.at_start,
            after_output: self.after_output || other.after_output,
            query: self.query || other.query,
            list: self.list,
        }
    }

    fn step(&mut self, c: char, html: bool) -> Result<(), String> {
        if self.list && c == ',' {
            *self = Self::new(true);
        } else if matches!(c, '?' | '#') {
            self.at_start = false;
            self.query = true;
        } else if !self.at_start {
        } else if c == '/' {
            self.at_start = false;
        } else if c == ':' || (c == '&' && html) {
            // NOTE: `{{ x }}script:…` would let a relative `x` ("java") finish a scheme the
            // data never showed; `&` could be `&#58;`, a colon.
            if self.after_output {
                return Err(format!(
                    "a URL that starts with a variable cannot continue with \"{c}\" before any \"/\", \"?\" or \"#\""
                ));
            }
            self.at_start = false;
        }
        Ok(())
    }
}

/// Where the tokenizer is inside a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
enum InTag {
    Name,
    BeforeAttribute,
    AttributeName(String),
    AfterAttributeName(String),
    BeforeValue(String),
    UnquotedValue,
    AfterValue,
    SelfClosing,
}

/// An attribute value being read: quoted in Html mode, the whole template in attribute mode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Value {
    tag: String,
    attribute: String,
    quote: Option<char>,
    url: Option<UrlState>,
}

impl Value {
    fn new(tag: String, attribute: String, quote: Option<char>) -> Self {
        let url = URL_ATTRIBUTES
            .contains(&attribute.as_str())
            .then(|| UrlState::new(attribute.ends_with("srcset")));
        Self {
            tag,
            attribute,
            quote,
            url,
        }
    }

    /// Why no variable may appear in this value, if so.
    fn forbidden(&self) -> Option<String> {
        let name = &self.attribute;
        if name.starts_with("on") {
            Some(format!("variables are not allowed in the event handler attribute \"{name}\" (it runs as script)"))
        } else if name == "style" {
            Some("variables are not allowed in a style attribute".into())
        } else if name == "srcdoc" {
            Some("variables are not allowed in a srcdoc attribute (it is an HTML document)".into())
        } else if matches!(
            self.tag.as_str(),
            "animate" | "set" | "animatemotion" | "animatetransform"
        ) {
            // NOTE: SVG animations can set another attribute (`attributeName="href"`) to a
            // `to`/`values` of the template's choosing: no data there at all.
            Some(format!(
                "variables are not allowed in the attributes of <{}>",
                self.tag
            ))
        } else {
            None
        }
    }
}

/// The tokenizer state between two characters of literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Context {
    Text,
    TagOpen,
    EndTagOpen,
    Declaration { dashes: u8 },
    Comment { dashes: u8 },
    Bogus,
    Tag { name: String, end: bool, at: InTag },
    Value(Value),
    RawText { name: String, matched: usize },
}

impl Context {
    /// Where the tokenizer is, for "the template ends inside …" errors.
    fn describe(&self) -> String {
        match self {
            Self::Text => "text".into(),
            Self::Comment { .. } => "an HTML comment".into(),
            Self::Value(v) => format!("the \"{}\" attribute's value", v.attribute),
            Self::RawText { name, .. } => format!("<{name}>"),
            Self::Tag { name, .. } => format!("the <{name}> tag"),
            _ => "a tag".into(),
        }
    }

    /// Both contexts, when either is possible: equal ones, or the same attribute value with
    /// the more cautious URL state.
    fn join(&self, other: &Self) -> Option<Self> {
        match (self, other) {
            _ if self == other => Some(self.clone()),
            (Self::Value(a), Self::Value(b))
                if a.tag == b.tag && a.attribute == b.attribute && a.quote == b.quote =>
            {
                let mut joined = a.clone();
                joined.url = a.url.zip(b.url).map(|(x, y)| x.merge(y));
                Some(Self::Value(joined))
            }
            _ => None,
        }
    }
}

/// The tokenizer, in Html or attribute-value mode.
pub(super) struct Scanner {
    context: Context,
    html: bool,
}

impl Scanner {
    /// Html mode: the template is a fragment of HTML, starting in text.
    pub fn html() -> Self {
        Self {
            context: Context::Text,
            html: true,
        }
    }

    /// Attribute mode: the whole template is the value of `attribute`.
    pub fn attribute(attribute: &str) -> Self {
        Self {
            context: Context::Value(Value::new(
                String::new(),
                attribute.to_ascii_lowercase(),
                None,
            )),
            html: false,
        }
    }

    /// Assigns every output's sink; problems go to `errors`.
    pub fn annotate(&mut self, nodes: &mut [Node], errors: &mut Vec<Located>) {
        for node in nodes {
            match node {
                Node::Text { text, offset, cuts } => *cuts = self.feed(text, *offset, errors),
                Node::Output { sink, offset, .. } => match self.output() {
                    Ok(s) => *sink = s,
                    Err(message) => errors.push((*offset, message)),
                },
                Node::If {
                    branches,
                    otherwise,
                    offset,
                } => {
                    let start = self.context.clone();
                    let mut joined = None::<Context>;
                    let bodies = branches
                        .iter_mut()
                        .map(|(_, body)| body)
                        .chain(std::iter::once(otherwise));
                    let mut consistent = true;
                    for body in bodies {
                        self.context = start.clone();
                        self.annotate(body, errors);
                        joined = match joined {
                            None => Some(self.context.clone()),
                            Some(j) => {
                                let next = j.join(&self.context);
                                consistent &= next.is_some();
                                next.or(Some(j))
                            }
                        };
                    }
                    if !consistent {
                        errors.push((*offset, branch_error("if")));
                    }
                    self.context = joined.unwrap_or(start);
                }
                Node::For {
                    body,
                    empty,
                    offset,
                    ..
                } => {
                    let start = self.context.clone();
                    let mut first_pass = Vec::new();
                    self.annotate(body, &mut first_pass);
                    // NOTE: later iterations start where the previous one ended; if that
                    // differs (a URL's query began), annotate again from both at once.
                    let after_body = match start.join(&self.context) {
                        Some(entry) if entry == start => {
                            errors.extend(first_pass);
                            Some(self.context.clone())
                        }
                        Some(entry) => {
                            self.context = entry.clone();
                            self.annotate(body, errors);
                            entry.join(&self.context).filter(|j| *j == entry)
                        }
                        None => None,
                    };
                    let Some(after_body) = after_body else {
                        errors.push((*offset, branch_error("for")));
                        self.context = start;
                        continue;
                    };
                    self.context = start;
                    self.annotate(empty, errors);
                    match after_body.join(&self.context) {
                        Some(joined) => self.context = joined,
                        None => errors.push((*offset, branch_error("for"))),
                    }
                }
            }
        }
    }

    /// After the whole template: an Html template must end in text.
    pub fn finish(&self, end: usize, errors: &mut Vec<Located>) {
        if self.html && self.context != Context::Text {
            errors.push((
                end,
                format!(
                    "the template ends inside {}; close it so the page after the slot is not swallowed",
                    self.context.describe()
                ),
            ));
        }
    }

    /// Runs over literal text; returns where it may be cut.
    fn feed(&mut self, text: &str, offset: usize, errors: &mut Vec<Located>) -> Cuts {
        if !self.html {
            for (i, c) in text.char_indices() {
                if let Err(message) = self.step(c) {
                    errors.push((offset + i, message));
                }
            }
            return Cuts::Anywhere;
        }
        let mut spans = Vec::new();
        // NOTE: (first, last) safe positions of the current run of text.
        let mut open: Option<(usize, usize)> = None;
        for (i, c) in text.char_indices() {
            if self.context == Context::Text {
                open = Some((open.map_or(i, |(first, _)| first), i));
            } else if let Some(run) = open.take() {
                spans.push(run);
            }
            if let Err(message) = self.step(c) {
                errors.push((offset + i, message));
            }
        }
        if self.context == Context::Text {
            open = Some((open.map_or(text.len(), |(first, _)| first), text.len()));
        }
        spans.extend(open);
        Cuts::Spans(spans)
    }

    /// The sink of an output here, or why none is safe.
    fn output(&mut self) -> Result<Sink, String> {
        let html = self.html;
        match &mut self.context {
            Context::Text => Ok(Sink {
                escape: html,
                in_text: html,
                ..Sink::default()
            }),
            Context::Value(value) => {
                if let Some(reason) = value.forbidden() {
                    return Err(reason);
                }
                let (check_scheme, encode_query) = match &mut value.url {
                    Some(url) => {
                        url.after_output |= url.at_start;
                        (url.at_start, url.query)
                    }
                    None => (false, false),
                };
                Ok(Sink {
                    escape: html,
                    check_scheme,
                    encode_query,
                    in_text: false,
                })
            }
            Context::RawText { name, .. } => {
                Err(format!("variables are not allowed inside <{name}>"))
            }
            Context::Comment { .. } => {
                Err("variables are not allowed inside an HTML comment".into())
            }
            Context::Declaration { .. } | Context::Bogus => {
                Err("variables are not allowed inside <!…> or <?…>".into())
            }
            Context::Tag { .. } | Context::TagOpen | Context::EndTagOpen => {
                Err("variables in a tag must be inside a quoted attribute value".into())
            }
        }
    }

    fn step(&mut self, c: char) -> Result<(), String> {
        let html = self.html;
        let context = std::mem::replace(&mut self.context, Context::Text);
        self.context = match context {
            Context::Text => {
                if c == '<' {
                    Context::TagOpen
                } else {
                    Context::Text
                }
            }
            Context::TagOpen => match c {
                '!' => Context::Declaration { dashes: 0 },
                '/' => Context::EndTagOpen,
                '?' => Context::Bogus,
                '<' => Context::TagOpen,
                c if c.is_ascii_alphabetic() => Context::Tag {
                    name: c.to_ascii_lowercase().to_string(),
                    end: false,
                    at: InTag::Name,
                },
                _ => Context::Text,
            },
            Context::EndTagOpen => match c {
                c if c.is_ascii_alphabetic() => Context::Tag {
                    name: c.to_ascii_lowercase().to_string(),
                    end: true,
                    at: InTag::Name,
                },
                '>' => Context::Text,
                _ => Context::Bogus,
            },
            Context::Declaration { dashes } => match (dashes, c) {
                (0, '-') => Context::Declaration { dashes: 1 },
                (1, '-') => Context::Comment { dashes: 0 },
                (_, '>') => Context::Text,
                _ => Context::Bogus,
            },
            Context::Comment { dashes } => match c {
                '-' => Context::Comment {
                    dashes: dashes.saturating_add(1).min(2),
                },
                '>' if dashes >= 2 => Context::Text,
                _ => Context::Comment { dashes: 0 },
            },
            Context::Bogus => {
                if c == '>' {
                    Context::Text
                } else {
                    Context::Bogus
                }
            }
            Context::Tag { name, end, at } => tag_step(name, end, at, c),
            Context::Value(mut value) => {
                if Some(c) == value.quote {
                    Context::Tag {
                        name: value.tag,
                        end: false,
                        at: InTag::AfterValue,
                    }
                } else {
                    let result = value.url.as_mut().map(|u| u.step(c, html));
                    self.context = Context::Value(value);
                    return result.unwrap_or(Ok(()));
                }
            }
            Context::RawText { name, matched } => raw_text_step(name, matched, c),
        };
        Ok(())
    }
}

fn branch_error(tag: &str) -> String {
    format!(
        "the branches of this {{% {tag} %}} end in different HTML contexts; close every tag, attribute and comment in the branch that opens it"
    )
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

fn tag_step(mut name: String, end: bool, at: InTag, c: char) -> Context {
    let tag = |name: String, at: InTag| Context::Tag { name, end, at };
    let close = |name: String| {
        if !end && RAW_TEXT.contains(&name.as_str()) {
            Context::RawText { name, matched: 0 }
        } else {
            Context::Text
        }
    };
    let lower = |c: char| c.to_ascii_lowercase().to_string();
    match at {
        InTag::Name => match c {
            c if is_space(c) => tag(name, InTag::BeforeAttribute),
            '/' => tag(name, InTag::SelfClosing),
            '>' => close(name),
            c => {
                name.push(c.to_ascii_lowercase());
                tag(name, InTag::Name)
            }
        },
        InTag::BeforeAttribute | InTag::AfterValue | InTag::SelfClosing => match c {
            c if is_space(c) => tag(name, InTag::BeforeAttribute),
            '/' => tag(name, InTag::SelfClosing),
            '>' => close(name),
            c => tag(name, InTag::AttributeName(lower(c))),
        },
        InTag::AttributeName(mut attribute) => match c {
            c if is_space(c) => tag(name, InTag::AfterAttributeName(attribute)),
            '/' => tag(name, InTag::SelfClosing),
            '=' => tag(name, InTag::BeforeValue(attribute)),
            '>' => close(name),
            c => {
                attribute.push(c.to_ascii_lowercase());
                tag(name, InTag::AttributeName(attribute))
            }
        },
        InTag::AfterAttributeName(attribute) => match c {
            c if is_space(c) => tag(name, InTag::AfterAttributeName(attribute)),
            '/' => tag(name, InTag::SelfClosing),
            '=' => tag(name, InTag::BeforeValue(attribute)),
            '>' => close(name),
            c => tag(name, InTag::AttributeName(lower(c))),
        },
        InTag::BeforeValue(attribute) => match c {
            c if is_space(c) => tag(name, InTag::BeforeValue(attribute)),
            '"' | '\'' => Context::Value(Value::new(name, attribute, Some(c))),
            '>' => close(name),
            _ => tag(name, InTag::UnquotedValue),
        },
        InTag::UnquotedValue => match c {
            c if is_space(c) => tag(name, InTag::BeforeAttribute),
            '>' => close(name),
            _ => tag(name, InTag::UnquotedValue),
        },
    }
}

/// Inside `<script>` and the like: only `</name` followed by space, `/` or `>` ends it.
fn raw_text_step(name: String, matched: usize, c: char) -> Context {
    let target_len = name.len() + 2;
    if name == "plaintext" {
        return Context::RawText { name, matched: 0 };
    }
    if matched == target_len {
        return match c {
            '>' => Context::Text,
            c if is_space(c) || c == '/' => Context::Tag {
                name,
                end: true,
                at: InTag::BeforeAttribute,
            },
            '<' => Context::RawText { name, matched: 1 },
            _ => Context::RawText { name, matched: 0 },
        };
    }
    let expected = match matched {
        0 => '<',
        1 => '/',
        n => char::from(name.as_bytes()[n - 2]),
    };
    let matched = if c.to_ascii_lowercase() == expected {
        matched + 1
    } else {
        usize::from(c == '<')
    };
    Context::RawText { name, matched }
}
