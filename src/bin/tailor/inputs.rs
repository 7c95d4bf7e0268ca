//! What `explain` and `render` share: the request's inputs on the command line, turned into
//! the page view the worker would have (config, request facts, keys, profile, catalog).

use std::path::{Path, PathBuf};

use serde_json::Value;
use tailor::content::Catalog;
use tailor::explain::persona::persona_request;
use tailor::explain::PageView;
use tailor::rewrite::check_selector;
use tailor::visitor::timestamp::parse_rfc3339;
use tailor::visitor::{IdKeys, Profile, VISITOR_ID_BYTES};
use tailor::{Config, RequestFacts};

use crate::{dev_vars, kv};

/// The request to explain or render.
#[derive(clap::Args, Debug)]
pub struct RequestArgs {
    /// The merchant config (JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The page's full URL, e.g. https://shop.example/products/rain-jacket?utm_source=mail.
    #[arg(long)]
    pub url: String,
    /// The visitor's profile, as stored in KV (a JSON object).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile_key", "persona"])]
    pub profile: Option<PathBuf>,
    /// Read the profile from KV under this key (e.g. profile:<visitor id>), through wrangler.
    #[arg(long, value_name = "KEY", conflicts_with = "persona")]
    pub profile_key: Option<String>,
    /// With --profile-key: read the deployed namespace instead of local development state.
    #[arg(long, requires = "profile_key")]
    pub remote: bool,
    /// A fixture persona (fixtures/personas/*.json): its visitor cookie, replayed browsing
    /// history and profile, with relative times resolved against --now.
    #[arg(long, value_name = "FILE")]
    pub persona: Option<PathBuf>,
    /// The request's Cookie header, e.g. 'tailor_vid=...; consent=yes'.
    #[arg(long)]
    pub cookie: Option<String>,
    /// A request header the worker reads (User-Agent, Accept-Language, Referer, Sec-GPC),
    /// as 'Name: value'; repeatable.
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// The request's time: RFC 3339 (2026-11-18T09:00:00Z) or Unix milliseconds; default now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// The visitor-id signing key; default $TAILOR_ID_KEY, else TAILOR_ID_KEY in ./.dev.vars.
    #[arg(long, value_name = "KEY")]
    pub id_key: Option<String>,
    /// The product catalog, for recommendation slots (the worker reads it from KV).
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Issue a new visitor the all-zero id (AAAAAAAAAAAAAAAAAAAAAA) instead of a random one,
    /// for reproducible output.
    #[arg(long)]
    pub fixed_new_id: bool,
}

/// Everything a page view needs, owned.
pub struct Loaded {
    pub config: Config,
    pub document: Value,
    pub request: RequestFacts,
    pub keys: Option<IdKeys>,
    pub identity_secrets: Vec<Vec<u8>>,
    pub profile: Option<Profile>,
    pub catalog: Option<Catalog>,
    pub fresh: [u8; VISITOR_ID_BYTES],
}

impl Loaded {
    /// The page view, borrowing from here.
    pub fn view(&self) -> PageView<'_> {
        PageView {
            config: &self.config,
            document: &self.document,
            request: self.request.clone(),
            keys: self.keys.clone(),
            identity_secrets: self.identity_secrets.clone(),
            profile: self.profile.clone(),
            catalog: self.catalog.as_ref(),
            fresh: self.fresh,
        }
    }
}

/// A text file, or why it cannot be read.
pub fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    serde_json::from_str(&read_text(path)?)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

/// The request's time in Unix milliseconds.
pub fn parse_now(text: Option<&str>) -> Result<u64, String> {
    match text {
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .or_else(|| parse_rfc3339(text))
            .ok_or_else(|| {
                format!(
                    "--now {text:?}: expected RFC 3339 (2026-11-18T09:00:00Z) or Unix milliseconds"
                )
            }),
    }
}

/// Checks a `Cookie` header: `name=value` pairs separated by `;`.
fn check_cookie_header(header: &str) -> Result<(), String> {
    for pair in header.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let well_formed = pair.split_once('=').is_some_and(|(name, _)| {
            !name.trim().is_empty() && !name.contains(char::is_whitespace)
        });
        if !well_formed {
            return Err(format!(
                "--cookie: {pair:?} is not a name=value pair (write e.g. 'a=1; b=2')"
            ));
        }
    }
    Ok(())
}

/// Loads and builds the page view's inputs, as the worker would have them.
pub fn load(args: &RequestArgs) -> Result<Loaded, String> {
    if !(args.url.starts_with("https://") || args.url.starts_with("http://")) {
        return Err(format!(
            "--url {:?}: give the page's full URL, e.g. https://shop.example/",
            args.url
        ));
    }
    let text = read_text(&args.config)?;
    let config = Config::parse(&text, &check_selector).map_err(|errors| {
        format!(
            "{} is not a valid config ({} error(s); run `tailor validate {}`):\n  {}",
            args.config.display(),
            errors.len(),
            args.config.display(),
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n  ")
        )
    })?;
    let document: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let now_ms = parse_now(args.now.as_deref())?;
    let key_text = args
        .id_key
        .clone()
        .or_else(|| dev_vars::get("TAILOR_ID_KEY"));
    let keys = match key_text {
        Some(key) => Some(
            IdKeys::new(&key, dev_vars::get("TAILOR_ID_KEY_PREVIOUS").as_deref())
                .map_err(|problem| format!("the visitor-id key: {problem}"))?,
        ),
        None => None,
    };
    let identity_secrets: Vec<Vec<u8>> =
        ["TAILOR_IDENTITY_SECRET", "TAILOR_IDENTITY_SECRET_PREVIOUS"]
            .into_iter()
            .filter_map(dev_vars::get)
            .map(String::into_bytes)
            .collect();

    let mut cookies = Vec::new();
    let mut profile = None;
    if let Some(path) = &args.persona {
        let persona = read_json(path)?;
        let made = persona_request(&config, &persona, keys.as_ref(), now_ms)
            .map_err(|problem| format!("{}: {problem}", path.display()))?;
        cookies.extend(made.cookies);
        profile = made.profile;
    }
    if let Some(header) = &args.cookie {
        check_cookie_header(header)?;
        cookies.push(header.trim().trim_end_matches(';').to_string());
    }
    if let Some(path) = &args.profile {
        let text = read_text(path)?;
        profile = Some(
            Profile::parse(&text)
                .map_err(|problem| format!("{} is not a profile: {problem}", path.display()))?,
        );
    }
    if let Some(key) = &args.profile_key {
        let text =
            kv::get(key, args.remote)?.ok_or_else(|| format!("KV has no value under {key:?}"))?;
        profile = Some(
            Profile::parse(&text)
                .map_err(|problem| format!("KV {key:?}: not a profile: {problem}"))?,
        );
    }
    let cookie_header = cookies.join("; ");
    let mut request = RequestFacts::get(
        &args.url,
        (!cookie_header.is_empty()).then_some(cookie_header.as_str()),
        now_ms,
    );
    for header in &args.header {
        apply_header(&mut request, header)?;
    }
    let catalog = match &args.catalog {
        Some(path) => Some(Catalog::parse(&read_text(path)?).map_err(|errors| {
            format!(
                "{} is not a valid catalog: {}",
                path.display(),
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?),
        None => None,
    };
    let mut fresh = [0u8; VISITOR_ID_BYTES];
    if !args.fixed_new_id {
        getrandom::fill(&mut fresh).map_err(|e| format!("no randomness: {e}"))?;
    }
    Ok(Loaded {
        config,
        document,
        request,
        keys,
        identity_secrets,
        profile,
        catalog,
        fresh,
    })
}

/// Sets a header the worker reads on the request's facts.
fn apply_header(request: &mut RequestFacts, header: &str) -> Result<(), String> {
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| format!("--header {header:?}: expected 'Name: value'"))?;
    let value = value.trim().to_string();
    match name.trim().to_ascii_lowercase().as_str() {
        "user-agent" => request.user_agent = Some(value),
        "accept-language" => request.accept_language = Some(value),
        "referer" | "referrer" => request.referrer = Some(value),
        "sec-gpc" => request.sec_gpc = value == "1",
        "cookie" => return Err("--header: give cookies with --cookie".into()),
        other => {
            return Err(format!(
                "--header: the worker does not read {other:?}; it reads User-Agent, Accept-Language, Referer and Sec-GPC"
            ))
        }
    }
    Ok(())
}
