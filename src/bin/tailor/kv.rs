//! Workers KV through wrangler (`wrangler kv key get`), local by default (`.wrangler/state`, as
//! `wrangler dev` and the demo's seeding use), or the real namespace with `remote`.

use std::process::Command;

/// The KV binding Tailor reads (wrangler.toml).
const BINDING: &str = "TAILOR_KV";

/// The project's wrangler, else one on the PATH.
fn wrangler() -> Command {
    let local = std::path::Path::new("node_modules/.bin/wrangler");
    let mut command = Command::new(if local.exists() {
        local.as_os_str()
    } else {
        std::ffi::OsStr::new("wrangler")
    });
    command.envs([
        ("WRANGLER_SEND_METRICS", "false"),
        ("WRANGLER_HIDE_BANNER", "true"),
        ("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
    ]);
    command
}

/// The value under `key`, `Ok(None)` when there is none.
pub fn get(key: &str, remote: bool) -> Result<Option<String>, String> {
    let output = wrangler()
        .args(["kv", "key", "get", key, "--binding", BINDING, "--text"])
        .arg(if remote { "--remote" } else { "--local" })
        .output()
        .map_err(|e| format!("cannot run wrangler ({e}); run `npm install` first"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // NOTE: wrangler 4 prints "Value not found" (and exits 0) for a missing key.
    let missing = |text: &str| text.trim_end().ends_with("Value not found");
    if missing(&stdout) || missing(&stderr) {
        return Ok(None);
    }
    if !output.status.success() {
        let detail = stderr.trim();
        return Err(format!(
            "wrangler kv key get {key} failed: {}",
            if detail.is_empty() {
                stdout.trim()
            } else {
                detail
            }
        ));
    }
    Ok(Some(stdout))
}
