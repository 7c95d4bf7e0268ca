//! Secrets for local runs: the environment first, else the `NAME=value` lines of `.dev.vars`
//! in the current directory (what `wrangler dev` gives the worker).

/// The value of `name`: the environment variable, else its line in `./.dev.vars`; `None` when
/// unset or blank.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .or_else(|| {
            let text = std::fs::read_to_string(".dev.vars").ok()?;
            lookup(&text, name)
        })
        .filter(|v| !v.trim().is_empty())
}

/// `name`'s value in a `.dev.vars` text (`NAME=value`, `#` comments, optional quotes).
fn lookup(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.trim().split_once('=')?;
        (key.trim() == name).then(|| {
            let value = value.trim();
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value)
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::lookup;

    #[test]
    fn dev_vars_lines_are_read() {
        let text = "# a comment\nTAILOR_ID_KEY=abc=def\nOTHER = \"quoted value\"\n";
        assert_eq!(lookup(text, "TAILOR_ID_KEY").as_deref(), Some("abc=def"));
        assert_eq!(lookup(text, "OTHER").as_deref(), Some("quoted value"));
        assert_eq!(lookup(text, "MISSING"), None);
    }
}
