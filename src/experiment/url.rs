//! GrowthBook's URL targeting (`urlPatterns`) and split-URL redirects.

use regex_lite::{Regex, RegexBuilder};

use crate::request::url::form_decode;

/// One URL pattern of an experiment.
#[derive(Debug, Clone)]
pub struct UrlPattern {
    /// Whether a match includes the page (`true`) or excludes it.
    pub include: bool,
    /// How the pattern matches.
    pub matcher: UrlMatcher,
}

/// A compiled URL pattern.
#[derive(Debug, Clone)]
pub enum UrlMatcher {
    /// GrowthBook's "simple" pattern: host, path (`*` wildcards, trailing slash optional),
    /// and any query parameters or fragment it names, each compiled once.
    Simple {
        /// Matches the host.
        host: Regex,
        /// Matches the path.
        path: Regex,
        /// Matches the fragment, when the pattern has one.
        hash: Option<Regex>,
        /// Each query parameter the pattern names, with what its value must match.
        query: Vec<(String, Regex)>,
    },
    /// A regular expression tried on the full URL and on the URL without its origin.
    Regex(Regex),
}

impl UrlPattern {
    /// A pattern of GrowthBook `type` `"simple"` or `"regex"`.
    pub fn compile(kind: &str, pattern: &str, include: bool) -> Result<Self, String> {
        let matcher = match kind {
            "simple" => simple(pattern)?,
            "regex" => UrlMatcher::Regex(
                Regex::new(pattern).map_err(|e| format!("invalid regular expression: {e}"))?,
            ),
            other => {
                return Err(format!(
                    "unknown pattern type {other:?}; use \"simple\" or \"regex\""
                ))
            }
        };
        Ok(Self { include, matcher })
    }
}

/// Whether `url` is targeted: no exclude pattern matches, and some include pattern does (or
/// there are only exclude patterns). No patterns at all target nothing, as in GrowthBook.
pub fn url_targeted(url: &str, patterns: &[UrlPattern]) -> bool {
    if patterns.is_empty() {
        return false;
    }
    let mut has_include = false;
    let mut included = false;
    for pattern in patterns {
        let matched = matches(url, &pattern.matcher);
        if pattern.include {
            has_include = true;
            included |= matched;
        } else if matched {
            return false;
        }
    }
    included || !has_include
}

/// Compiles a simple pattern, as GrowthBook reads it: `*` becomes a placeholder before parsing,
/// a pattern without a scheme like `shop.com/x` is read as https, and one without a host
/// matches any host (its placeholder host is itself a wildcard).
fn simple(pattern: &str) -> Result<UrlMatcher, String> {
    let written = pattern.replace('*', "_____");
    let written = match written.split_once(['/', ':', '?']) {
        Some((head, _)) if head.contains('.') && !written.contains("://") => {
            format!("https://{written}")
        }
        None if written.contains('.') => format!("https://{written}"),
        _ => written,
    };
    let expected = Parts::parse(&written, "_____");
    Ok(UrlMatcher::Simple {
        host: part_regex(&expected.host, false)?,
        path: part_regex(&expected.path, true)?,
        hash: match expected.hash.as_str() {
            "" => None,
            hash => Some(part_regex(hash, false)?),
        },
        query: query_pairs(&expected.query)
            .into_iter()
            .map(|(name, value)| Ok((name, part_regex(&value, false)?)))
            .collect::<Result<_, String>>()?,
    })
}

fn matches(url: &str, matcher: &UrlMatcher) -> bool {
    let actual = Parts::parse(url, "_");
    match matcher {
        UrlMatcher::Regex(regex) => {
            regex.is_match(&actual.href()) || regex.is_match(&actual.path_and_after())
        }
        UrlMatcher::Simple {
            host,
            path,
            hash,
            query,
        } => {
            let pairs = query_pairs(&actual.query);
            host.is_match(&actual.host)
                && path.is_match(&actual.path)
                && hash.as_ref().is_none_or(|h| h.is_match(&actual.hash))
                && query.iter().all(|(name, value)| {
                    let actual_value = pairs
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("", |(_, v)| v.as_str());
                    value.is_match(actual_value)
                })
        }
    }
}

/// One part of a simple pattern as an anchored, case-insensitive regex (`_____` is `.*`; a
/// path may have a leading and trailing slash or not).
fn part_regex(pattern: &str, is_path: bool) -> Result<Regex, String> {
    let mut escaped = regex_lite::escape(pattern).replace("_____", ".*");
    if is_path {
        let trimmed = escaped.strip_prefix('/').unwrap_or(&escaped);
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        escaped = format!("/?{trimmed}/?");
    }
    RegexBuilder::new(&format!("^{escaped}$"))
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("invalid pattern: {e}"))
}

/// A URL cut into the parts patterns compare.
struct Parts {
    scheme: String,
    host: String,
    path: String,
    query: String,
    hash: String,
}

impl Parts {
    fn parse(url: &str, default_host: &str) -> Self {
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) if !scheme.contains(['/', '?', '#']) => {
                (scheme.to_ascii_lowercase(), rest)
            }
            _ => ("https".to_string(), url),
        };
        let (host, rest) = if url.contains("://") {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            (rest[..end].to_ascii_lowercase(), &rest[end..])
        } else {
            (default_host.to_string(), rest)
        };
        let (before_hash, hash) = match rest.split_once('#') {
            Some((before, hash)) => (before, format!("#{hash}")),
            None => (rest, String::new()),
        };
        let (path, query) = before_hash.split_once('?').unwrap_or((before_hash, ""));
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        Self {
            scheme,
            host,
            path,
            query: query.to_string(),
            hash,
        }
    }

    fn path_and_after(&self) -> String {
        let query = if self.query.is_empty() {
            String::new()
        } else {
            format!("?{}", self.query)
        };
        format!("{}{query}{}", self.path, self.hash)
    }

    fn href(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.path_and_after())
    }
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// `redirect` with the current URL's query parameters added, except those it sets itself
/// (GrowthBook's `persistQueryString`).
pub fn with_query_of(redirect: &str, current: &str) -> String {
    let current_query = current
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or_default())
        .unwrap_or_default();
    if current_query.is_empty() {
        return redirect.to_string();
    }
    let (base, hash) = match redirect.split_once('#') {
        Some((base, hash)) => (base, format!("#{hash}")),
        None => (redirect, String::new()),
    };
    let (path, own) = base.split_once('?').unwrap_or((base, ""));
    let own_names: Vec<String> = query_pairs(own).into_iter().map(|(n, _)| n).collect();
    let mut params: Vec<&str> = own.split('&').filter(|p| !p.is_empty()).collect();
    for pair in current_query.split('&').filter(|p| !p.is_empty()) {
        let name = query_pairs(pair).into_iter().next().map(|(n, _)| n);
        if name.is_some_and(|n| !own_names.contains(&n)) {
            params.push(pair);
        }
    }
    if params.is_empty() {
        format!("{path}{hash}")
    } else {
        format!("{path}?{}{hash}", params.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(pattern: &str) -> UrlPattern {
        UrlPattern::compile("simple", pattern, true).expect("valid")
    }

    #[test]
    fn simple_patterns_match_like_growthbook() {
        let url = "https://shop.test/collections/sale/?utm=x";
        assert!(url_targeted(url, &[simple("/collections/sale")]));
        assert!(url_targeted(url, &[simple("/collections/*")]));
        assert!(url_targeted(
            url,
            &[simple("https://shop.test/collections/sale")]
        ));
        assert!(url_targeted(url, &[simple("shop.test/collections/sale")]));
        assert!(!url_targeted(url, &[simple("other.test/collections/sale")]));
        assert!(!url_targeted(url, &[simple("/collections")]));
        assert!(url_targeted(url, &[simple("/collections/sale?utm=x")]));
        assert!(!url_targeted(url, &[simple("/collections/sale?utm=y")]));
        let exclude = UrlPattern::compile("simple", "/collections/*", false).expect("valid");
        assert!(!url_targeted(url, std::slice::from_ref(&exclude)));
        assert!(url_targeted("https://shop.test/", &[exclude]));
        assert!(!url_targeted(url, &[]));
    }

    #[test]
    fn regex_patterns_try_the_path_too() {
        let pattern = UrlPattern::compile("regex", "^/products/[a-z-]+$", true).expect("valid");
        assert!(url_targeted(
            "https://shop.test/products/rain-shell",
            std::slice::from_ref(&pattern)
        ));
        assert!(!url_targeted("https://shop.test/products/123", &[pattern]));
        assert!(UrlPattern::compile("regex", "(", true).is_err());
    }
}
