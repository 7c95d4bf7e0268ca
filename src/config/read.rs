//! Reading fields out of a JSON object while tracking JSON paths, so that every mistake in the
//! merchant's document is reported with where it is, and typos in field names are caught.

use serde_json::{Map, Value};

use super::{describe_json, ConfigError};

/// A JSON object being read at `path`, collecting errors instead of stopping at the first.
pub struct ObjectReader<'a> {
    path: String,
    fields: Option<&'a Map<String, Value>>,
    known: Vec<&'static str>,
}

impl<'a> ObjectReader<'a> {
    /// Starts reading `value` at `path`; a non-object is reported once.
    pub fn new(value: &'a Value, path: &str, errors: &mut Vec<ConfigError>) -> Self {
        let fields = value.as_object();
        #[cfg(not(target_arch = "wasm32"))]
        record::object(path);
        if fields.is_none() {
            errors.push(ConfigError::new(
                display_path(path),
                format!("expected an object, found {}", describe_json(value)),
            ));
        }
        Self {
            path: path.to_string(),
            fields,
            known: Vec::new(),
        }
    }

    /// The JSON path of a field of this object.
    pub fn path_of(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// A field's raw value, if present (and marks the field as known).
    pub fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.ask(key, FieldKind::Any)
    }

    /// Marks a field as known (recording what kind of value is asked for, when the schema is
    /// being derived) and returns its value, if present.
    fn ask(&mut self, key: &'static str, kind: FieldKind) -> Option<&'a Value> {
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        #[cfg(not(target_arch = "wasm32"))]
        record::field(&self.path, key, kind);
        #[cfg(target_arch = "wasm32")]
        let _ = kind;
        self.fields.and_then(|f| f.get(key))
    }

    /// A required string field.
    pub fn required_str(&mut self, key: &'static str, errors: &mut Vec<ConfigError>) -> String {
        self.ask(key, FieldKind::RequiredString);
        let missing = self.fields.is_some_and(|f| !f.contains_key(key));
        if missing {
            errors.push(ConfigError::new(self.path_of(key), "is required"));
            return String::new();
        }
        self.optional_str(key, errors).unwrap_or_default()
    }

    /// An optional string field.
    pub fn optional_str(
        &mut self,
        key: &'static str,
        errors: &mut Vec<ConfigError>,
    ) -> Option<String> {
        match self.ask(key, FieldKind::String)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => {
                errors.push(ConfigError::new(
                    self.path_of(key),
                    format!("expected a string, found {}", describe_json(other)),
                ));
                None
            }
        }
    }

    /// An optional integer field.
    pub fn optional_i64(
        &mut self,
        key: &'static str,
        errors: &mut Vec<ConfigError>,
    ) -> Option<i64> {
        match self.ask(key, FieldKind::Integer)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::Null => None,
            other => {
                errors.push(ConfigError::new(
                    self.path_of(key),
                    format!("expected a whole number, found {}", describe_json(other)),
                ));
                None
            }
        }
    }

    /// An optional boolean field.
    pub fn optional_bool(
        &mut self,
        key: &'static str,
        errors: &mut Vec<ConfigError>,
    ) -> Option<bool> {
        match self.ask(key, FieldKind::Boolean)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                errors.push(ConfigError::new(
                    self.path_of(key),
                    format!("expected true or false, found {}", describe_json(other)),
                ));
                None
            }
        }
    }

    /// An optional array field, with the path of each item.
    pub fn optional_array(
        &mut self,
        key: &'static str,
        errors: &mut Vec<ConfigError>,
    ) -> Vec<(String, &'a Value)> {
        match self.ask(key, FieldKind::Array) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let base = self.path_of(key);
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (format!("{base}[{i}]"), item))
                    .collect()
            }
            Some(other) => {
                errors.push(ConfigError::new(
                    self.path_of(key),
                    format!("expected an array, found {}", describe_json(other)),
                ));
                Vec::new()
            }
        }
    }

    /// Reports every field that no reader asked for: most likely a typo.
    pub fn finish(self, errors: &mut Vec<ConfigError>) {
        let Some(fields) = self.fields else { return };
        for key in fields.keys() {
            if !self.known.contains(&key.as_str()) {
                let hint = closest(key, &self.known)
                    .map(|k| format!(" (did you mean \"{k}\"?)"))
                    .unwrap_or_default();
                errors.push(ConfigError::new(
                    child_path(&self.path, key),
                    format!(
                        "unknown field{hint}; expected one of: {}",
                        self.known.join(", ")
                    ),
                ));
            }
        }
    }
}

/// The kind of value a reader asks a field for (what the config schema is derived from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Read raw and interpreted by its own compiler (a condition, a nested object, ...).
    Any,
    /// A string that must be present.
    RequiredString,
    /// A string.
    String,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// An array.
    Array,
}

/// Records, while a document compiles on this thread, every object the readers open and every
/// field they ask for: the config's JSON Schema is derived from it (native only).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod record {
    use std::cell::RefCell;

    use super::FieldKind;

    /// What the readers asked for: object paths (array indexes written `[]`), and per field
    /// its object's path, its name and the kind asked for.
    #[derive(Debug, Default)]
    pub struct Asked {
        /// Paths of the objects opened, in order, without duplicates.
        pub objects: Vec<String>,
        /// (object path, field, kind), in order, without duplicates.
        pub fields: Vec<(String, &'static str, FieldKind)>,
    }

    thread_local! {
        static RECORDING: RefCell<Option<Asked>> = const { RefCell::new(None) };
    }

    /// Runs `compile` and returns what its readers asked for.
    pub fn recording(compile: impl FnOnce()) -> Asked {
        RECORDING.set(Some(Asked::default()));
        compile();
        RECORDING.take().unwrap_or_default()
    }

    /// `slots[3].content.vip` → `slots[].content.vip`.
    fn generic(path: &str) -> String {
        let mut out = String::with_capacity(path.len());
        let mut in_index = false;
        for c in path.chars() {
            match c {
                '[' => {
                    in_index = true;
                    out.push_str("[]");
                }
                ']' => in_index = false,
                _ if in_index => {}
                c => out.push(c),
            }
        }
        out
    }

    pub(super) fn object(path: &str) {
        RECORDING.with_borrow_mut(|recording| {
            if let Some(asked) = recording {
                let path = generic(path);
                if !asked.objects.contains(&path) {
                    asked.objects.push(path);
                }
            }
        });
    }

    pub(super) fn field(path: &str, key: &'static str, kind: FieldKind) {
        RECORDING.with_borrow_mut(|recording| {
            if let Some(asked) = recording {
                let path = generic(path);
                let seen = asked
                    .fields
                    .iter_mut()
                    .find(|(p, k, _)| *p == path && *k == key);
                match seen {
                    // NOTE: typed readers start from the raw value; the specific kind wins.
                    Some(entry) if entry.2 == FieldKind::Any => entry.2 = kind,
                    Some(_) => {}
                    None => asked.fields.push((path, key, kind)),
                }
            }
        });
    }
}

/// `parent.key`, or `key` at the top.
pub fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(document)"
    } else {
        path
    }
}

/// The known name closest to a misspelt one, if any is close enough to suggest (also used for
/// template filter and tag names).
pub(crate) fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| {
            (
                edit_distance(&key.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_reported_with_a_suggestion() {
        let doc = json!({"id": "x", "selecter": "#a"});
        let mut errors = Vec::new();
        let mut reader = ObjectReader::new(&doc, "slots[2]", &mut errors);
        reader.required_str("id", &mut errors);
        reader.required_str("selector", &mut errors);
        reader.finish(&mut errors);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "slots[2].selector: is required",
                "slots[2].selecter: unknown field (did you mean \"selector\"?); expected one of: id, selector",
            ]
        );
    }

    #[test]
    fn wrong_types_name_what_was_found() {
        let doc = json!({"priority": "high", "name": 3});
        let mut errors = Vec::new();
        let mut reader = ObjectReader::new(&doc, "segments[0]", &mut errors);
        assert_eq!(reader.optional_i64("priority", &mut errors), None);
        assert_eq!(reader.optional_str("name", &mut errors), None);
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "segments[0].priority: expected a whole number, found \"high\"",
                "segments[0].name: expected a string, found 3",
            ]
        );
    }
}
