//! What admin requests say about versions: a rollback's target, and `If-Match`.

use serde_json::Value;

/// The version a rollback request's body names: `{"to": n}`, or the previous version for an
/// empty body, `{}` or `{"to": null}`.
pub fn parse_rollback_request(body: &str) -> Result<Option<u64>, String> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let document: Value =
        serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Some(object) = document.as_object() else {
        return Err(r#"expected {"to": <version number>} or an empty body"#.to_string());
    };
    if let Some(field) = object.keys().find(|k| *k != "to") {
        return Err(format!("unknown field {field:?}; expected only \"to\""));
    }
    match object.get("to") {
        None | Some(Value::Null) => Ok(None),
        Some(to) => to
            .as_u64()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| format!("\"to\" must be a version number, found {to}")),
    }
}

/// The entity tag of version `number`, as `GET /__tailor/config` sends it: `"<number>"`.
pub fn etag(number: u64) -> String {
    format!("\"{number}\"")
}

/// The version number an `If-Match` header names: `3`, `"3"` (the [`etag`]) or `W/"3"`.
pub fn parse_if_match(header: &str) -> Result<u64, String> {
    let value = header.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    value
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            format!("If-Match must name a version number (e.g. \"3\"), found {header:?}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_requests_and_if_match_headers_are_read_strictly() {
        let cases: [(&str, Result<Option<u64>, ()>); 8] = [
            ("", Ok(None)),
            ("  ", Ok(None)),
            ("{}", Ok(None)),
            (r#"{"to": null}"#, Ok(None)),
            (r#"{"to": 3}"#, Ok(Some(3))),
            (r#"{"to": "3"}"#, Err(())),
            (r#"{"to": 0}"#, Err(())),
            (r#"{"to": 1, "force": true}"#, Err(())),
        ];
        for (body, expected) in cases {
            assert_eq!(
                parse_rollback_request(body).map_err(|_| ()),
                expected,
                "{body:?}"
            );
        }
        assert!(parse_rollback_request("[1]").is_err());
        for (header, expected) in [
            ("3", Some(3)),
            ("\"3\"", Some(3)),
            ("W/\"12\"", Some(12)),
            (&etag(7), Some(7)),
            ("*", None),
            ("+3", None),
            ("0", None),
            ("\"a\"", None),
        ] {
            assert_eq!(parse_if_match(header).ok(), expected, "{header:?}");
        }
    }
}
