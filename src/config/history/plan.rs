//! Uploads and rollbacks planned from what KV holds: the writes (version text, then `config`,
//! then the index) and deletes (pruned versions) to perform, in that order.

use serde::Serialize;
use serde_json::Value;

use super::index::{sha256_hex, LogAction, NewEntry, Source, VersionIndex};
use super::{version_key, HistoryError, MAX_NOTE_CHARS, VERSIONS_KEY};
use crate::config::{Config, CONFIG_KEY};

/// What KV holds before an operation: the index's text and the active config's text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stored<'a> {
    /// The text under [`VERSIONS_KEY`], if any.
    pub index: Option<&'a str>,
    /// The text under [`CONFIG_KEY`], if any.
    pub active: Option<&'a str>,
}

impl<'a> Stored<'a> {
    /// From the two values as read from KV.
    pub fn of(index: &'a Option<String>, active: &'a Option<String>) -> Self {
        Self {
            index: index.as_deref(),
            active: active.as_deref(),
        }
    }
}

/// A new config to upload.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The config document, exactly as it will be stored.
    pub text: &'a str,
    /// Who uploads it.
    pub source: Source,
    /// A note for the history (what changed, why).
    pub note: Option<&'a str>,
    /// Now, in milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// Upload only if this version is active (optimistic concurrency, `If-Match`).
    pub if_active: Option<u64>,
}

/// What an operation leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The active version's number afterwards.
    pub number: u64,
    /// Its `version` field.
    pub version: String,
    /// The version active before, if any.
    pub previous: Option<u64>,
    /// Whether the active config changed (`false`: it was already this one).
    pub changed: bool,
}

/// The KV writes and deletes an operation needs, in the order to perform them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `(key, value)` pairs: version texts, then [`CONFIG_KEY`], then [`VERSIONS_KEY`].
    pub writes: Vec<(String, String)>,
    /// Keys of pruned versions, deleted after the writes.
    pub deletes: Vec<String>,
    /// What it leads to.
    pub outcome: Outcome,
}

/// A config text's own `version` field, read leniently (for texts that may no longer compile).
fn version_label(text: &str) -> String {
    let document: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    match document.get("version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "unversioned".to_string(),
    }
}

/// The stored index, with the active text added as a version when the index does not record
/// it (no index yet, or `config` written by other means), and the writes that keeps.
fn adopt_unrecorded(
    index: Option<VersionIndex>,
    active_text: Option<&str>,
    now_ms: u64,
) -> (VersionIndex, Vec<(String, String)>) {
    let mut index = index.unwrap_or(VersionIndex {
        active: 0,
        versions: Vec::new(),
        log: Vec::new(),
    });
    let Some(text) = active_text else {
        return (index, Vec::new());
    };
    let recorded = index
        .active_entry()
        .is_some_and(|e| e.sha256 == sha256_hex(text));
    if recorded {
        return (index, Vec::new());
    }
    let number = index.add(
        NewEntry {
            text,
            version: version_label(text),
            source: Source::Adopted,
            note: Some("found under \"config\" without a version; kept so it can be restored"),
            at: now_ms,
        },
        LogAction::Adopt,
    );
    (index, vec![(version_key(number), text.to_string())])
}

/// Finishes a plan: the active text, then the index, then the pruned versions' deletes.
fn finish(
    mut index: VersionIndex,
    mut writes: Vec<(String, String)>,
    active_text: Option<String>,
    previous: Option<u64>,
) -> Plan {
    let changed = active_text.is_some();
    if let Some(text) = active_text {
        writes.push((CONFIG_KEY.to_string(), text));
    }
    let deletes = if writes.is_empty() {
        Vec::new()
    } else {
        index.prune()
    };
    if !writes.is_empty() {
        writes.push((VERSIONS_KEY.to_string(), index.to_text()));
    }
    let version = index
        .active_entry()
        .map(|e| e.version.clone())
        .unwrap_or_default();
    Plan {
        writes,
        deletes,
        outcome: Outcome {
            number: index.active,
            version,
            previous: previous.filter(|n| *n != 0),
            changed,
        },
    }
}

/// Plans an upload: the text is compiled first (every error reported, nothing planned), then
/// stored as a new active version. An upload identical to the active version changes nothing.
pub fn upload(
    stored: Stored<'_>,
    upload: Upload<'_>,
    check_selector: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Plan, HistoryError> {
    let config = Config::parse(upload.text, check_selector).map_err(HistoryError::Invalid)?;
    if upload
        .note
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(HistoryError::NoteTooLong);
    }
    let index = VersionIndex::load(stored.index)?;
    if let Some(expected) = upload.if_active {
        // NOTE: a config changed outside Tailor is a concurrent change too: it is no version.
        let active = index
            .as_ref()
            .and_then(VersionIndex::active_entry)
            .filter(|e| {
                stored
                    .active
                    .is_some_and(|text| sha256_hex(text) == e.sha256)
            })
            .map(|e| e.number);
        if active != Some(expected) {
            return Err(HistoryError::NotActive { expected, active });
        }
    }
    let (mut index, writes) = adopt_unrecorded(index, stored.active, upload.now_ms);
    let previous = index.active;
    let identical = index
        .active_entry()
        .is_some_and(|e| e.sha256 == sha256_hex(upload.text));
    if identical {
        return Ok(finish(index, writes, None, Some(previous)));
    }
    let mut writes = writes;
    let number = index.add(
        NewEntry {
            text: upload.text,
            version: config.version,
            source: upload.source,
            note: upload.note.filter(|n| !n.trim().is_empty()),
            at: upload.now_ms,
        },
        LogAction::Upload,
    );
    writes.push((version_key(number), upload.text.to_string()));
    Ok(finish(
        index,
        writes,
        Some(upload.text.to_string()),
        Some(previous),
    ))
}

/// The version a rollback restores: `to`, or without it the newest one older than the active.
/// Its text must then be read (from [`version_key`]) and handed to [`rollback`].
pub fn rollback_target(index: Option<&str>, to: Option<u64>) -> Result<u64, HistoryError> {
    let Some(index) = VersionIndex::load(index)? else {
        return Err(match to {
            Some(number) => HistoryError::UnknownVersion(number),
            None => HistoryError::NoEarlierVersion,
        });
    };
    match to {
        Some(number) if index.entry(number).is_some() => Ok(number),
        Some(number) => Err(HistoryError::UnknownVersion(number)),
        None => index.previous().ok_or(HistoryError::NoEarlierVersion),
    }
}

/// Plans making kept version `target` active again. Its stored text (`None`: gone from KV)
/// must be what was uploaded, and must still compile: the code may have changed since.
pub fn rollback(
    stored: Stored<'_>,
    target: u64,
    target_text: Option<&str>,
    now_ms: u64,
    check_selector: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Plan, HistoryError> {
    let index = VersionIndex::load(stored.index)?;
    let entry = index
        .as_ref()
        .and_then(|i| i.entry(target))
        .ok_or(HistoryError::UnknownVersion(target))?;
    let text = target_text.ok_or(HistoryError::VersionGone(target))?;
    if entry.sha256 != sha256_hex(text) {
        return Err(HistoryError::VersionDamaged(target));
    }
    Config::parse(text, check_selector).map_err(HistoryError::Invalid)?;
    let (mut index, writes) = adopt_unrecorded(index, stored.active, now_ms);
    let previous = index.active;
    if previous == target {
        return Ok(finish(index, writes, None, Some(previous)));
    }
    index.activate(target, LogAction::Rollback, now_ms);
    Ok(finish(
        index,
        writes,
        Some(text.to_string()),
        Some(previous),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::index::LogEntry;
    use super::super::KEPT_VERSIONS;
    use super::*;

    fn any_selector(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn config(version: &str, headline: &str) -> String {
        format!(
            r#"{{"version": "{version}", "segments": [{{"id": "all", "when": {{}}}}],
                "slots": [{{"id": "hero", "selector": "h1", "action": "setInnerContent",
                           "content": {{"all": "{headline}"}}}}]}}"#
        )
    }

    /// KV as a map, with a plan applied in order, as the edge and the CLI do.
    #[derive(Default)]
    struct Kv(std::collections::BTreeMap<String, String>);

    impl Kv {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).map(String::as_str)
        }
        fn stored(&self) -> Stored<'_> {
            Stored {
                index: self.get(VERSIONS_KEY),
                active: self.get(CONFIG_KEY),
            }
        }
        fn apply(&mut self, plan: &Plan) {
            for (key, value) in &plan.writes {
                self.0.insert(key.clone(), value.clone());
            }
            for key in &plan.deletes {
                self.0.remove(key);
            }
        }
        fn index(&self) -> VersionIndex {
            VersionIndex::parse(self.get(VERSIONS_KEY).expect("index")).expect("valid index")
        }
        fn upload(&mut self, text: &str, at: u64) -> Result<Outcome, HistoryError> {
            let plan = upload(
                self.stored(),
                Upload {
                    text,
                    source: Source::Api,
                    note: Some("test"),
                    now_ms: at,
                    if_active: None,
                },
                &any_selector,
            )?;
            self.apply(&plan);
            Ok(plan.outcome)
        }
        fn rollback(&mut self, to: Option<u64>, at: u64) -> Result<Outcome, HistoryError> {
            let target = rollback_target(self.get(VERSIONS_KEY), to)?;
            let text = self.get(&version_key(target)).map(str::to_string);
            let plan = rollback(self.stored(), target, text.as_deref(), at, &any_selector)?;
            self.apply(&plan);
            Ok(plan.outcome)
        }
    }

    #[test]
    fn a_first_upload_writes_the_version_then_config_then_the_index() {
        let mut kv = Kv::default();
        let text = config("v1", "Hello");
        let plan = upload(
            kv.stored(),
            Upload {
                text: &text,
                source: Source::Cli,
                note: Some("launch"),
                now_ms: 1_000,
                if_active: None,
            },
            &any_selector,
        )
        .expect("valid");
        let keys: Vec<&str> = plan.writes.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["config:version:1", "config", "config:versions"]);
        assert!(plan.deletes.is_empty());
        assert_eq!(
            plan.outcome,
            Outcome {
                number: 1,
                version: "v1".into(),
                previous: None,
                changed: true
            }
        );
        kv.apply(&plan);
        assert_eq!(kv.get("config"), Some(text.as_str()));
        let index = kv.index();
        assert_eq!(index.active, 1);
        let entry = &index.versions[0];
        assert_eq!(
            (entry.source, entry.note.as_deref(), entry.bytes),
            (Source::Cli, Some("launch"), text.len() as u64)
        );
        assert_eq!(entry.sha256, sha256_hex(&text));
        assert_eq!(
            index.log,
            [LogEntry {
                at: 1_000,
                action: LogAction::Upload,
                from: None,
                to: 1
            }]
        );
    }

    #[test]
    fn the_index_document_has_the_documented_shape() {
        let mut kv = Kv::default();
        kv.upload(&config("v1", "A"), 5).expect("upload");
        let document: Value =
            serde_json::from_str(kv.get(VERSIONS_KEY).expect("index")).expect("json");
        assert_eq!(document["active"], 1);
        assert_eq!(document["versions"][0]["uploadedAt"], 5);
        assert_eq!(document["versions"][0]["source"], "api");
        assert_eq!(document["versions"][0]["version"], "v1");
        assert_eq!(document["log"][0]["action"], "upload");
        kv.upload(&config("v2", "B"), 6).expect("upload");
        kv.rollback(None, 7).expect("rollback");
        let index = kv.index();
        assert_eq!(
            VersionIndex::parse(&index.to_text()),
            Ok(index),
            "round trip"
        );
    }

    #[test]
    fn an_invalid_config_plans_nothing_and_reports_every_error() {
        let mut kv = Kv::default();
        kv.upload(&config("v1", "A"), 1).expect("upload");
        let broken = r#"{"segmnts": [], "slots": [{"id": "s", "selector": "p", "action": "append", "content": {"ghost": "x"}}]}"#;
        let Err(HistoryError::Invalid(errors)) = kv.upload(broken, 2) else {
            panic!("must be refused");
        };
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["segmnts", "slots[0].content.ghost"]);
        let error = HistoryError::Invalid(errors);
        assert_eq!(error.status(), 422);
        assert_eq!(
            error.to_json()["errors"][1]["path"],
            "slots[0].content.ghost"
        );
        assert_eq!(kv.index().versions.len(), 1, "nothing was written");
    }

    #[test]
    fn an_identical_upload_is_a_no_op_reported_as_such() {
        let mut kv = Kv::default();
        let text = config("v1", "A");
        kv.upload(&text, 1).expect("upload");
        let plan = upload(
            kv.stored(),
            Upload {
                text: &text,
                source: Source::Api,
                note: None,
                now_ms: 2,
                if_active: None,
            },
            &any_selector,
        )
        .expect("valid");
        assert!(plan.writes.is_empty() && plan.deletes.is_empty());
        assert_eq!(
            plan.outcome,
            Outcome {
                number: 1,
                version: "v1".into(),
                previous: Some(1),
                changed: false
            }
        );
    }

    #[test]
    fn an_existing_config_without_an_index_is_adopted_as_version_1_first() {
        let mut kv = Kv::default();
        let legacy = config("legacy", "Old");
        kv.0.insert(CONFIG_KEY.into(), legacy.clone());
        let outcome = kv.upload(&config("v2", "New"), 10).expect("upload");
        assert_eq!((outcome.number, outcome.previous), (2, Some(1)));
        assert_eq!(kv.get("config:version:1"), Some(legacy.as_str()));
        let index = kv.index();
        assert_eq!(index.versions[0].source, Source::Adopted);
        assert_eq!(index.versions[0].version, "legacy");
        let actions: Vec<LogAction> = index.log.iter().map(|l| l.action).collect();
        assert_eq!(actions, [LogAction::Adopt, LogAction::Upload]);
        let back = kv.rollback(None, 11).expect("rollback");
        assert_eq!((back.number, back.version.as_str()), (1, "legacy"));
        assert_eq!(kv.get("config"), Some(legacy.as_str()));
    }

    #[test]
    fn a_config_changed_behind_the_index_is_adopted_not_lost() {
        let mut kv = Kv::default();
        kv.upload(&config("v1", "A"), 1).expect("upload");
        let by_hand = config("hand", "H");
        kv.0.insert(CONFIG_KEY.into(), by_hand.clone());
        let outcome = kv.upload(&config("v3", "C"), 2).expect("upload");
        assert_eq!((outcome.number, outcome.previous), (3, Some(2)));
        assert_eq!(kv.get("config:version:2"), Some(by_hand.as_str()));
        assert_eq!(kv.rollback(None, 3).expect("rollback").version, "hand");
    }

    #[test]
    fn rollback_restores_the_previous_or_a_chosen_version_and_logs_it() {
        let mut kv = Kv::default();
        for (at, v) in [(1, "v1"), (2, "v2"), (3, "v3")] {
            kv.upload(&config(v, v), at).expect("upload");
        }
        let back = kv.rollback(None, 4).expect("rollback");
        assert_eq!(
            back,
            Outcome {
                number: 2,
                version: "v2".into(),
                previous: Some(3),
                changed: true
            }
        );
        assert_eq!(kv.get("config"), Some(config("v2", "v2").as_str()));
        assert_eq!(kv.rollback(None, 5).expect("again").number, 1);
        assert_eq!(
            kv.rollback(None, 6).expect_err("nothing older"),
            HistoryError::NoEarlierVersion
        );
        let forward = kv.rollback(Some(3), 7).expect("forward");
        assert_eq!((forward.number, forward.previous), (3, Some(1)));
        let last = kv.index().log.last().cloned().expect("log");
        assert_eq!(
            last,
            LogEntry {
                at: 7,
                action: LogAction::Rollback,
                from: Some(1),
                to: 3
            }
        );
        let same = kv.rollback(Some(3), 8).expect("already active");
        assert!(!same.changed);
        // A new upload after a rollback takes the next unused number.
        assert_eq!(kv.upload(&config("v4", "v4"), 9).expect("upload").number, 4);
    }

    #[test]
    fn rollback_refuses_unknown_gone_damaged_and_no_longer_valid_versions() {
        let mut kv = Kv::default();
        kv.upload(&config("v1", "A"), 1).expect("upload");
        kv.upload(&config("v2", "B"), 2).expect("upload");
        assert_eq!(
            kv.rollback(Some(9), 3).expect_err("unknown"),
            HistoryError::UnknownVersion(9)
        );
        let stored_v1 = kv.0.remove("config:version:1").expect("v1");
        let gone = kv.rollback(Some(1), 3).expect_err("gone");
        assert_eq!(
            (gone.clone(), gone.status()),
            (HistoryError::VersionGone(1), 404)
        );
        kv.0.insert(
            "config:version:1".into(),
            stored_v1.replace("\"A\"", "\"Z\""),
        );
        assert_eq!(
            kv.rollback(Some(1), 3).expect_err("damaged"),
            HistoryError::VersionDamaged(1)
        );
        // Version 1 no longer compiles with today's selector parser.
        kv.0.insert("config:version:1".into(), stored_v1);
        let target = rollback_target(kv.get(VERSIONS_KEY), None).expect("target");
        let text = kv.get(&version_key(target)).map(str::to_string);
        let strict = |_: &str| Err("unsupported selector".to_string());
        let refused =
            rollback(kv.stored(), target, text.as_deref(), 4, &strict).expect_err("invalid");
        assert!(matches!(&refused, HistoryError::Invalid(e) if e[0].path == "slots[0].selector"));
        assert_eq!(kv.index().active, 2, "nothing switched");
    }

    #[test]
    fn if_match_must_name_the_active_version() {
        let mut kv = Kv::default();
        let text = config("v2", "B");
        let attempt = |kv: &Kv, expected| {
            upload(
                kv.stored(),
                Upload {
                    text: &text,
                    source: Source::Api,
                    note: None,
                    now_ms: 5,
                    if_active: Some(expected),
                },
                &any_selector,
            )
        };
        let refused = attempt(&kv, 1).expect_err("nothing active");
        assert_eq!(
            (refused.clone(), refused.status()),
            (
                HistoryError::NotActive {
                    expected: 1,
                    active: None
                },
                412
            )
        );
        kv.upload(&config("v1", "A"), 1).expect("upload");
        assert!(attempt(&kv, 1).is_ok());
        assert_eq!(attempt(&kv, 7).expect_err("stale").to_json()["active"], 1);
        kv.0.insert(CONFIG_KEY.into(), config("by-hand", "H"));
        assert_eq!(
            attempt(&kv, 1).expect_err("changed outside Tailor"),
            HistoryError::NotActive {
                expected: 1,
                active: None
            }
        );
    }

    #[test]
    fn only_the_latest_versions_are_kept_and_never_the_active_one_deleted() {
        let mut kv = Kv::default();
        kv.upload(&config("v1", "first"), 1).expect("upload");
        for n in 2..=KEPT_VERSIONS as u64 {
            kv.upload(&config(&format!("v{n}"), "x"), n)
                .expect("upload");
        }
        kv.rollback(Some(1), 100).expect("rollback to the oldest");
        let plan = upload(
            kv.stored(),
            Upload {
                text: &config("new", "y"),
                source: Source::Api,
                note: None,
                now_ms: 101,
                if_active: None,
            },
            &any_selector,
        )
        .expect("valid");
        // 51 versions: the newest 50 are 2..=51, and 1 is no longer active once 51 is.
        assert_eq!(plan.deletes, ["config:version:1"]);
        kv.apply(&plan);
        assert_eq!(kv.index().versions.len(), KEPT_VERSIONS);
        assert!(kv.get("config:version:1").is_none());

        // Rolled back to the oldest kept version while a hand-written config is adopted as
        // the newest: the active version stays although it is not among the newest 50.
        kv.rollback(Some(2), 102)
            .expect("rollback to the oldest kept");
        kv.0.insert(CONFIG_KEY.into(), config("by-hand", "h"));
        let target = rollback_target(kv.get(VERSIONS_KEY), Some(2)).expect("kept");
        let text = kv.get(&version_key(target)).map(str::to_string);
        let plan =
            rollback(kv.stored(), target, text.as_deref(), 103, &any_selector).expect("valid");
        assert!(plan.deletes.is_empty(), "{:?}", plan.deletes);
        kv.apply(&plan);
        let index = kv.index();
        assert_eq!((index.active, index.versions.len()), (2, KEPT_VERSIONS + 1));
        assert!(kv.get("config:version:2").is_some());
    }

    #[test]
    fn a_corrupt_index_refuses_every_operation_instead_of_starting_over() {
        for (name, text) in [
            ("not json", "{oops"),
            ("wrong shape", r#"{"active": "one", "versions": []}"#),
            ("active not listed", r#"{"active": 4, "versions": []}"#),
            (
                "unknown source",
                r#"{"active": 1, "versions": [
                    {"number": 1, "version": "a", "uploadedAt": 1, "source": "ftp", "sha256": "", "bytes": 0}]}"#,
            ),
            (
                "duplicate numbers",
                r#"{"active": 1, "versions": [
                    {"number": 1, "version": "a", "uploadedAt": 1, "source": "api", "sha256": "", "bytes": 0},
                    {"number": 1, "version": "b", "uploadedAt": 2, "source": "cli", "sha256": "", "bytes": 0}]}"#,
            ),
        ] {
            let mut kv = Kv::default();
            kv.0.insert(VERSIONS_KEY.into(), text.into());
            kv.0.insert(CONFIG_KEY.into(), config("v1", "A"));
            let refused = kv.upload(&config("v2", "B"), 1).expect_err(name);
            assert!(
                matches!(refused, HistoryError::CorruptIndex(_)),
                "{name}: {refused:?}"
            );
            assert_eq!(refused.status(), 409, "{name}");
            assert!(
                refused.to_string().contains("nothing was written"),
                "{name}"
            );
            assert!(
                matches!(kv.rollback(None, 1), Err(HistoryError::CorruptIndex(_))),
                "{name}"
            );
            assert_eq!(kv.get(VERSIONS_KEY), Some(text), "{name}: left as it was");
        }
    }

    #[test]
    fn notes_are_bounded_and_blank_notes_dropped() {
        let mut kv = Kv::default();
        let long = "n".repeat(MAX_NOTE_CHARS + 1);
        let text = config("v1", "A");
        let attempt = |note: &str| {
            upload(
                Stored::default(),
                Upload {
                    text: &text,
                    source: Source::Api,
                    note: Some(note),
                    now_ms: 1,
                    if_active: None,
                },
                &any_selector,
            )
        };
        assert_eq!(attempt(&long).expect_err("long"), HistoryError::NoteTooLong);
        kv.apply(&attempt("  ").expect("blank note"));
        assert_eq!(kv.index().versions[0].note, None);
    }

    #[test]
    fn nothing_to_roll_back_without_history() {
        assert_eq!(
            rollback_target(None, None),
            Err(HistoryError::NoEarlierVersion)
        );
        assert_eq!(
            rollback_target(None, Some(2)),
            Err(HistoryError::UnknownVersion(2))
        );
    }
}
