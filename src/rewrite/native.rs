//! The native engine: applies a rewrite plan with the `lol_html` crate, chunk by chunk.
//!
//! Used by tests, benchmarks and the CLI. The worker uses the runtime's `HTMLRewriter`
//! instead (the same parser, without the body entering the Wasm).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{
    AsciiCompatibleEncoding, ElementContentHandlers, HtmlRewriter, OutputSink, Selector, Settings,
};

use super::{apply_action, ElementOps, RewritePlan};

/// Why the native engine could not rewrite a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteError {
    /// A selector in the plan does not parse (config validation should have caught it).
    Selector {
        /// The offending selector.
        selector: String,
        /// The parser's reason.
        reason: String,
    },
    /// lol_html gave up on the input (e.g. a parsing ambiguity or its memory limit).
    Rewriting(String),
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Selector { selector, reason } => {
                write!(f, "invalid selector {selector:?}: {reason}")
            }
            Self::Rewriting(reason) => write!(f, "rewriting failed: {reason}"),
        }
    }
}

impl std::error::Error for RewriteError {}

/// Checks that a selector is one the rewriter (native or the runtime's) accepts.
pub fn check_selector(selector: &str) -> Result<(), String> {
    selector
        .parse::<Selector>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

struct LolElement<'a, 'r, 't>(&'a mut Element<'r, 't>);

impl ElementOps for LolElement<'_, '_, '_> {
    fn set_inner_html(&mut self, html: &str) {
        self.0.set_inner_content(html, ContentType::Html);
    }
    fn replace_html(&mut self, html: &str) {
        self.0.replace(html, ContentType::Html);
    }
    fn remove(&mut self) {
        self.0.remove();
    }
    fn before_html(&mut self, html: &str) {
        self.0.before(html, ContentType::Html);
    }
    fn after_html(&mut self, html: &str) {
        self.0.after(html, ContentType::Html);
    }
    fn prepend_html(&mut self, html: &str) {
        self.0.prepend(html, ContentType::Html);
    }
    fn append_html(&mut self, html: &str) {
        self.0.append(html, ContentType::Html);
    }
    fn attribute(&self, name: &str) -> Option<String> {
        self.0.get_attribute(name)
    }
    fn set_attribute(&mut self, name: &str, value: &str) {
        // NOTE: attribute names were validated at config load; a failure here leaves the
        // element as it was, which is what the runtime engine does too.
        let _ = self.0.set_attribute(name, value);
    }
    fn remove_attribute(&mut self, name: &str) {
        self.0.remove_attribute(name);
    }
}

/// Collects the rewriter's output.
struct SharedSink(Rc<RefCell<Vec<u8>>>);

impl OutputSink for SharedSink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        self.0.borrow_mut().extend_from_slice(chunk);
    }
}

/// A streaming native rewriter: feed it chunks, take what is ready after each one.
pub struct NativeRewriter<'plan> {
    rewriter: HtmlRewriter<'plan, SharedSink>,
    output: Rc<RefCell<Vec<u8>>>,
}

impl<'plan> NativeRewriter<'plan> {
    /// Prepares a rewriter for `plan`; `charset` is the page's `Content-Type` charset label
    /// (UTF-8 when absent or unsupported, as in the runtime).
    pub fn new(plan: &'plan RewritePlan, charset: Option<&str>) -> Result<Self, RewriteError> {
        let mut settings = Settings::new();
        for edit in &plan.edits {
            let selector: Selector =
                edit.selector
                    .parse()
                    .map_err(
                        |e: lol_html::errors::SelectorError| RewriteError::Selector {
                            selector: edit.selector.clone(),
                            reason: e.to_string(),
                        },
                    )?;
            let action = &edit.action;
            settings = settings.append_element_content_handler((
                Cow::Owned(selector),
                ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                    apply_action(action, &mut LolElement(el));
                    Ok(())
                }),
            ));
        }
        let encoding = charset
            .and_then(|label| encoding_rs::Encoding::for_label_no_replacement(label.as_bytes()))
            .and_then(AsciiCompatibleEncoding::new)
            .unwrap_or_else(AsciiCompatibleEncoding::utf_8);
        let output = Rc::new(RefCell::new(Vec::new()));
        // NOTE: non-strict, like the Workers runtime: ambiguous markup is rewritten on a
        // best-effort basis instead of aborting, so both engines produce the same bytes.
        let settings = settings.with_encoding(encoding).with_strict(false);
        let rewriter = HtmlRewriter::new(settings, SharedSink(Rc::clone(&output)));
        Ok(Self { rewriter, output })
    }

    /// Feeds one chunk of the page and returns the output that is ready.
    pub fn write(&mut self, chunk: &[u8]) -> Result<Vec<u8>, RewriteError> {
        self.rewriter
            .write(chunk)
            .map_err(|e| RewriteError::Rewriting(e.to_string()))?;
        Ok(std::mem::take(&mut *self.output.borrow_mut()))
    }

    /// Ends the page and returns the rest of the output.
    pub fn end(self) -> Result<Vec<u8>, RewriteError> {
        self.rewriter
            .end()
            .map_err(|e| RewriteError::Rewriting(e.to_string()))?;
        Ok(std::mem::take(&mut *self.output.borrow_mut()))
    }
}

/// Rewrites a whole page held in memory (the CLI and tests). An empty plan returns the input
/// unchanged without parsing it, as the worker does.
pub fn rewrite_page(
    plan: &RewritePlan,
    page: &[u8],
    charset: Option<&str>,
) -> Result<Vec<u8>, RewriteError> {
    if plan.is_empty() {
        return Ok(page.to_vec());
    }
    let mut rewriter = NativeRewriter::new(plan, charset)?;
    let mut out = rewriter.write(page)?;
    out.extend(rewriter.end()?);
    Ok(out)
}

/// Which of `selectors` match at least one element of `page` (in order): `tailor validate
/// --page` warns about slots that would find nothing to change.
pub fn matching_selectors(selectors: &[&str], page: &[u8]) -> Result<Vec<bool>, RewriteError> {
    let found = Rc::new(RefCell::new(vec![false; selectors.len()]));
    let mut settings = Settings::new();
    for (at, selector) in selectors.iter().enumerate() {
        let parsed: Selector = selector
            .parse()
            .map_err(
                |e: lol_html::errors::SelectorError| RewriteError::Selector {
                    selector: (*selector).to_string(),
                    reason: e.to_string(),
                },
            )?;
        let found = Rc::clone(&found);
        settings = settings.append_element_content_handler((
            Cow::Owned(parsed),
            ElementContentHandlers::default().element(move |_: &mut Element<'_, '_>| {
                found.borrow_mut()[at] = true;
                Ok(())
            }),
        ));
    }
    let mut rewriter = HtmlRewriter::new(settings.with_strict(false), |_: &[u8]| {});
    rewriter
        .write(page)
        .and_then(|()| rewriter.end())
        .map_err(|e| RewriteError::Rewriting(e.to_string()))?;
    let found = found.borrow().clone();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::{Action, Edit};

    fn plan(selector: &str, action: Action) -> RewritePlan {
        RewritePlan {
            edits: vec![Edit {
                selector: selector.into(),
                action,
                reason: "test".into(),
            }],
        }
    }

    fn rewrite(plan: &RewritePlan, html: &str) -> String {
        String::from_utf8(rewrite_page(plan, html.as_bytes(), None).expect("rewrites"))
            .expect("utf-8")
    }

    #[test]
    fn every_action_does_what_it_says() {
        let page = r#"<div id="s" class="a">old</div>"#;
        let html = |h: &str| h.to_string();
        let cases = [
            (
                Action::SetInnerContent {
                    html: html("<b>new</b>"),
                },
                r#"<div id="s" class="a"><b>new</b></div>"#,
            ),
            (
                Action::Replace {
                    html: html("<p>x</p>"),
                },
                "<p>x</p>",
            ),
            (Action::Remove, ""),
            (
                Action::Before {
                    html: html("<i>b</i>"),
                },
                r#"<i>b</i><div id="s" class="a">old</div>"#,
            ),
            (
                Action::After {
                    html: html("<i>a</i>"),
                },
                r#"<div id="s" class="a">old</div><i>a</i>"#,
            ),
            (
                Action::Prepend {
                    html: html("<i>p</i>"),
                },
                r#"<div id="s" class="a"><i>p</i>old</div>"#,
            ),
            (
                Action::Append {
                    html: html("<i>p</i>"),
                },
                r#"<div id="s" class="a">old<i>p</i></div>"#,
            ),
            (
                Action::SetAttribute {
                    name: "title".into(),
                    value: "\"q\" & <t>".into(),
                },
                r#"<div id="s" class="a" title="&quot;q&quot; &amp; <t>">old</div>"#,
            ),
            (
                Action::RemoveAttribute {
                    name: "class".into(),
                },
                r#"<div id="s">old</div>"#,
            ),
            (
                Action::AddClass {
                    class: "vip".into(),
                },
                r#"<div id="s" class="a vip">old</div>"#,
            ),
            (
                Action::RemoveClass { class: "a".into() },
                r#"<div id="s" class="">old</div>"#,
            ),
        ];
        for (action, expected) in cases {
            let name = format!("{action:?}");
            assert_eq!(rewrite(&plan("#s", action), page), expected, "{name}");
        }
    }

    #[test]
    fn an_empty_plan_returns_the_bytes_untouched() {
        let odd = b"<p>unclosed <b>\xff\xfe not utf-8";
        assert_eq!(
            rewrite_page(&RewritePlan::default(), odd, None).expect("ok"),
            odd
        );
    }

    #[test]
    fn selectors_that_match_nothing_are_found() {
        let page = b"<main><h1 class=t>Hi</h1><p data-slot=x>p</p></main>";
        assert_eq!(
            matching_selectors(&["h1.t", "[data-slot=x]", "#missing"], page).expect("parses"),
            [true, true, false]
        );
        assert!(matching_selectors(&["div["], page).is_err());
    }

    #[test]
    fn a_bad_selector_is_an_error_not_a_panic() {
        let result = rewrite_page(&plan("div[", Action::Remove), b"<div></div>", None);
        assert!(matches!(result, Err(RewriteError::Selector { .. })));
        assert!(check_selector("div[").is_err());
        assert!(check_selector("[data-tailor-slot=hero]").is_ok());
    }

    #[test]
    fn the_page_charset_is_respected() {
        // "café" in windows-1252, with an inserted non-ASCII character.
        let page = b"<p id=x>caf\xe9</p>";
        let out = rewrite_page(
            &plan(
                "#x",
                Action::Append {
                    html: " \u{e9}t\u{e9}".into(),
                },
            ),
            page,
            Some("windows-1252"),
        )
        .expect("rewrites");
        assert_eq!(out, b"<p id=x>caf\xe9 \xe9t\xe9</p>");
    }
}
