//! Making outputs safe where they land: HTML escaping, URL scheme checks, query encoding, and
//! the capped output buffer that never cuts inside a tag, an attribute or an entity.

/// How one `{{ }}` output is made safe; decided at compile time from its HTML context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sink {
    /// HTML-escape `& < > " '` (Html mode).
    pub escape: bool,
    /// The output may begin a URL: anything but a relative URL or an http(s)/mailto/tel one
    /// renders as `#`.
    pub check_scheme: bool,
    /// The output is in a URL's query or fragment: percent-encode it (`url_encode`).
    pub encode_query: bool,
    /// The output is HTML text (Html mode), so the buffer may be cut between its characters.
    pub in_text: bool,
}

/// Where a literal piece of template text may be cut when the output cap is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cuts {
    /// At any character boundary (attribute value mode: plain text).
    Anywhere,
    /// Only at byte positions within these inclusive ranges, where the HTML tokenizer is in
    /// text (not inside a tag, attribute, comment or raw-text element).
    Spans(Vec<(usize, usize)>),
}

/// The entity for a character that must be escaped in HTML text and quoted attribute values.
fn entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Whether `byte` is one of the characters [`entity`] escapes (all ASCII, so a byte search
/// finds them without splitting a character).
fn needs_entity(byte: u8) -> bool {
    matches!(byte, b'&' | b'<' | b'>' | b'"' | b'\'')
}

/// `text` split at the characters [`entity`] escapes: the run before the next one, and that
/// character's entity (`None` at the end).
fn next_run(text: &str, escape: bool) -> (&str, Option<&'static str>, &str) {
    match text.bytes().position(|b| escape && needs_entity(b)) {
        Some(at) => (
            &text[..at],
            entity(char::from(text.as_bytes()[at])),
            &text[at + 1..],
        ),
        None => (text, None, ""),
    }
}

/// Escapes `& < > " '`: safe in text and in single- or double-quoted attribute values.
pub(super) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let (run, escaped, after) = next_run(rest, true);
        out.push_str(run);
        match escaped {
            Some(e) => out.push_str(e),
            None => return out,
        }
        rest = after;
    }
}

/// Whether a value may begin a URL: relative (no scheme), or `http:`, `https:`, `mailto:`,
/// `tel:` (any case).
///
/// NOTE: browsers strip leading spaces and control characters and ignore tabs and newlines
/// anywhere in a URL (`java\tscript:` is `javascript:`), so the check does the same first. A
/// colon before any `/`, `?` or `#` means a scheme; the scheme must then be on the list. Even
/// when a literal precedes the output in the attribute (`java{{ x }}`), the combined scheme
/// then ends in a safe one, which no dangerous scheme does.
pub(super) fn is_safe_url_start(value: &str) -> bool {
    let cleaned: String = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned[i..].starts_with(':') => ["http", "https", "mailto", "tel"]
            .iter()
            .any(|scheme| cleaned[..i].eq_ignore_ascii_case(scheme)),
        _ => true,
    }
}

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~`, with spaces as `+` (Liquid's
/// `url_encode`, for query strings).
pub(super) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
    }
    out
}

/// The rendered output, capped at `cap` bytes.
///
/// `safe` is the length of the longest prefix known to end in HTML text (Html mode) or at any
/// character boundary (attribute mode): when the cap is reached, or rendering runs out of
/// steps, the output is cut back to a safe point and everything after is dropped.
pub(super) struct Out {
    buf: String,
    cap: usize,
    safe: usize,
    done: bool,
}

impl Out {
    /// An empty buffer holding at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            buf: String::new(),
            cap,
            safe: 0,
            done: false,
        }
    }

    /// Whether the cap was reached (nothing more will be written).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Stops here, cut back to the last safe point.
    pub fn stop(&mut self) {
        self.buf.truncate(self.safe);
        self.done = true;
    }

    /// The result.
    pub fn finish(self) -> String {
        self.buf
    }

    /// Appends literal template text.
    pub fn literal(&mut self, text: &str, cuts: &Cuts) {
        if self.done {
            return;
        }
        let base = self.buf.len();
        let room = self.cap - base;
        if text.len() <= room {
            self.buf.push_str(text);
            self.safe = match cuts {
                Cuts::Anywhere => self.buf.len(),
                Cuts::Spans(spans) => spans.last().map_or(self.safe, |&(_, end)| base + end),
            };
            return;
        }
        let cut = match cuts {
            Cuts::Anywhere => Some(floor_boundary(text, room)),
            Cuts::Spans(spans) => cut_in_spans(text, spans, room),
        };
        match cut {
            Some(cut) if cut > 0 => {
                self.buf.push_str(&text[..cut]);
                self.safe = self.buf.len();
                self.done = true;
            }
            _ => self.stop(),
        }
    }

    /// Appends one output's (already URL-checked) text as its sink requires.
    pub fn output(&mut self, text: &str, sink: Sink) {
        if self.done {
            return;
        }
        if sink.escape && !sink.in_text {
            // NOTE: inside an attribute value: all or nothing, so the quote is never left open.
            let escaped = escape_html(text);
            if self.buf.len() + escaped.len() <= self.cap {
                self.buf.push_str(&escaped);
            } else {
                self.stop();
            }
            return;
        }
        // NOTE: in text, output is cut at the last whole character or entity that fits.
        let mut rest = text;
        loop {
            let (run, escaped, after) = next_run(rest, sink.escape);
            let room = self.cap - self.buf.len();
            let fits = if run.len() <= room {
                self.buf.push_str(run);
                escaped.is_none_or(|e| self.buf.len() + e.len() <= self.cap)
            } else {
                self.buf.push_str(&run[..floor_boundary(run, room)]);
                false
            };
            if !fits {
                self.safe = self.buf.len();
                self.done = true;
                return;
            }
            match escaped {
                Some(e) => self.buf.push_str(e),
                None => break,
            }
            rest = after;
        }
        self.safe = self.buf.len();
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The last position ≤ `room` inside a safe span, at a character boundary, and not inside a
/// character reference (`&amp;` is kept whole or dropped whole).
fn cut_in_spans(text: &str, spans: &[(usize, usize)], room: usize) -> Option<usize> {
    let &(start, end) = spans.iter().rev().find(|(start, _)| *start <= room)?;
    let cut = floor_boundary(text, end.min(room));
    if cut < start {
        return None;
    }
    let kept = &text[start..cut];
    Some(match kept.rfind('&') {
        Some(amp) if !kept[amp..].contains(';') => start + amp,
        _ => cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Character by character: what `Out::output` must give for text and for attribute-less
    /// plain output, at any cap.
    fn reference_output(start: &str, text: &str, escape: bool, cap: usize) -> (String, bool) {
        let mut buf = start.to_string();
        for c in text.chars() {
            let mut utf8 = [0; 4];
            let unit = match entity(c).filter(|_| escape) {
                Some(e) => e,
                None => c.encode_utf8(&mut utf8),
            };
            if buf.len() + unit.len() > cap {
                return (buf, true);
            }
            buf.push_str(unit);
        }
        (buf, false)
    }

    #[test]
    fn output_escapes_and_cuts_exactly_as_character_by_character() {
        let texts = ["", "plain", "a<b>&\"c'", "<<&&", "é<ü>€😀&x", "😀😀", "&"];
        for text in texts {
            for escape in [true, false] {
                let sink = Sink {
                    escape,
                    in_text: true,
                    ..Sink::default()
                };
                for cap in 0..=text.len() * 6 + 3 {
                    let before = if cap >= 2 { "ab" } else { "" };
                    let mut out = Out::new(cap);
                    out.literal(before, &Cuts::Anywhere);
                    out.output(text, sink);
                    let (expected, cut) = reference_output(before, text, escape, cap);
                    assert_eq!(out.is_done(), cut, "{text:?} escape={escape} cap={cap}");
                    assert_eq!(out.finish(), expected, "{text:?} escape={escape} cap={cap}");
                }
            }
            let expected: String = text
                .chars()
                .map(|c| entity(c).map_or(c.to_string(), str::to_string))
                .collect();
            assert_eq!(escape_html(text), expected, "{text:?}");
        }
    }

    #[test]
    fn url_starts_are_checked_like_browsers_parse_them() {
        let cases = [
            ("relative path", "/products/a", true),
            ("relative bare", "products/a:b", true),
            ("query", "?q=a:b", true),
            ("fragment", "#top", true),
            ("https", "https://shop.test/", true),
            ("upper-case http", "HTTP://shop.test/", true),
            ("mailto", "mailto:ada@shop.test", true),
            ("tel", "tel:+1555", true),
            ("empty", "", true),
            ("javascript", "javascript:alert(1)", false),
            ("mixed case", "JaVaScRiPt:alert(1)", false),
            ("leading space", "  javascript:alert(1)", false),
            ("leading control", "\u{1}javascript:alert(1)", false),
            ("tab inside", "java\tscript:alert(1)", false),
            ("newline inside", "java\nscript:alert(1)", false),
            ("data", "data:text/html,<script>", false),
            ("vbscript", "vbscript:msgbox", false),
            ("empty scheme", ":alert(1)", false),
            ("ftp", "ftp://x", false),
        ];
        for (name, value, safe) in cases {
            assert_eq!(is_safe_url_start(value), safe, "case {name}: {value:?}");
        }
    }

    #[test]
    fn url_encode_keeps_only_unreserved_characters() {
        assert_eq!(url_encode("a b&c=d/é~"), "a+b%26c%3Dd%2F%C3%A9~");
    }

    #[test]
    fn the_cap_cuts_text_outputs_between_entities_and_attributes_whole() {
        let text = Sink {
            escape: true,
            in_text: true,
            ..Sink::default()
        };
        let mut out = Out::new(10);
        out.output("ab<<<", text);
        assert_eq!(out.finish(), "ab&lt;&lt;");

        let attribute = Sink {
            escape: true,
            ..Sink::default()
        };
        let mut out = Out::new(12);
        out.literal("<a title=\"", &Cuts::Spans(vec![(0, 0)]));
        out.output("xyz", attribute);
        assert_eq!(out.finish(), "", "the open tag is dropped, not left open");
    }

    #[test]
    fn the_cap_cuts_literals_only_in_text_and_never_inside_an_entity() {
        let mut out = Out::new(9);
        out.literal("ab&amp;cd", &Cuts::Spans(vec![(0, 9)]));
        assert_eq!(out.finish(), "ab&amp;cd");

        let mut out = Out::new(5);
        out.literal("ab&amp;cd", &Cuts::Spans(vec![(0, 9)]));
        assert_eq!(out.finish(), "ab");

        let mut out = Out::new(6);
        // "x<b>yé": text before '<' (0..=1) and after '>' (4..=7).
        out.literal("x<b>yé", &Cuts::Spans(vec![(0, 1), (4, 7)]));
        assert_eq!(out.finish(), "x<b>y", "not inside the two bytes of é");

        let mut out = Out::new(3);
        out.literal("x<b>y", &Cuts::Spans(vec![(0, 1), (4, 5)]));
        assert_eq!(out.finish(), "x", "not inside the tag");
    }
}
