//! Building JSON objects from values already owned. `json!` serializes every interpolated
//! expression into a new value, so a nested object passed to it is copied whole and the
//! original dropped; the attribute document is built once per page view from such parts.

use serde_json::{Map, Value};

/// The object of `fields`, moved in (a later duplicate key wins, as in `json!`).
pub(crate) fn object(fields: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        map.insert(key.to_string(), value);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_object_holds_the_values_given_as_json_would() {
        let nested = json!({"a": [1, {"b": null}], "c": "d"});
        assert_eq!(
            object(vec![
                ("x", nested.clone()),
                ("n", 2.5.into()),
                ("none", Value::Null)
            ]),
            json!({"x": nested, "n": 2.5, "none": null})
        );
        assert_eq!(object(Vec::new()), json!({}));
    }
}
