//! What the `User-Agent` header says about the device: its type, browser, OS, and whether it is
//! a bot.
//!
//! Hand-written substring rules over the ASCII-lowercased header, no regex: the Wasm size
//! budget matters more than exotic browsers, and personalization only needs the broad strokes.
//! Unknown or garbage input gives `unknown`/`other`, never an error.
//!
//! The rules, in the order they are applied:
//!
//! - **Bot**: a known crawler, link previewer, monitoring tool, headless browser or HTTP library
//!   (see [`is_bot_user_agent`]), or Cloudflare calls it one ([`is_bot_by_cloudflare`]). A bot
//!   always has device type `bot`, whatever device it imitates; browser and OS still say what
//!   it claims to be.
//! - **Tablet**: `iPad`; Android *without* a `Mobi` token (Google's rule for Android browsers:
//!   phones say `Mobile`, tablets do not); Kindle/Silk; a `Tablet` token. iPadOS 13+ Safari asks
//!   for desktop sites and sends a macOS user agent, so those iPads count as `desktop`: nothing
//!   in the header tells them apart.
//! - **Mobile**: `iPhone`, `iPod`, Android with `Mobi`, Windows Phone, any other `Mobi` token
//!   (MDN's advice; also catches Opera Mini and KaiOS).
//! - **Desktop**: Windows, macOS, Linux/X11, ChromeOS.
//! - **Unknown**: everything else, including a missing or empty header.

use std::cell::RefCell;

/// The broad kind of device a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    /// A phone.
    Mobile,
    /// A tablet.
    Tablet,
    /// A desktop or laptop computer.
    Desktop,
    /// A crawler, monitor, script or headless browser.
    Bot,
    /// Nothing recognisable (or no `User-Agent` at all).
    Unknown,
}

impl DeviceType {
    /// The attribute value: `mobile`, `tablet`, `desktop`, `bot` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Desktop => "desktop",
            Self::Bot => "bot",
            Self::Unknown => "unknown",
        }
    }
}

/// The browser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Google Chrome and Chromium (including Chrome on iOS and Android WebViews).
    Chrome,
    /// Apple Safari on iOS, iPadOS or macOS.
    Safari,
    /// Mozilla Firefox (including Firefox on iOS).
    Firefox,
    /// Microsoft Edge, Chromium-based or legacy.
    Edge,
    /// Samsung Internet.
    Samsung,
    /// Opera, Opera Mini and Opera GX.
    Opera,
    /// Anything else: in-app browsers, Yandex, UC, Silk, Internet Explorer, scripts.
    Other,
}

impl Browser {
    /// The attribute value: `chrome`, `safari`, `firefox`, `edge`, `samsung`, `opera` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chrome => "chrome",
            Self::Safari => "safari",
            Self::Firefox => "firefox",
            Self::Edge => "edge",
            Self::Samsung => "samsung",
            Self::Opera => "opera",
            Self::Other => "other",
        }
    }
}

/// The operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// iOS and iPadOS (when the iPad says so).
    Ios,
    /// Android, including Fire OS.
    Android,
    /// Windows (not Windows Phone).
    Windows,
    /// macOS.
    Macos,
    /// Linux desktops (Android and ChromeOS are reported as themselves).
    Linux,
    /// ChromeOS.
    Chromeos,
    /// Anything else, or nothing said.
    Other,
}

impl Os {
    /// The attribute value: `ios`, `android`, `windows`, `macos`, `linux`, `chromeos` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Windows => "windows",
            Self::Macos => "macos",
            Self::Linux => "linux",
            Self::Chromeos => "chromeos",
            Self::Other => "other",
        }
    }
}

/// Everything read from one `User-Agent` (and Cloudflare's bot verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// Phone, tablet, desktop, bot or unknown; always `Bot` when `is_bot`.
    pub device_type: DeviceType,
    /// The browser family the header claims.
    pub browser: Browser,
    /// The operating system the header claims.
    pub os: Os,
    /// Whether the request is automated.
    pub is_bot: bool,
}

impl Device {
    /// The device of a request without a usable `User-Agent`.
    pub const UNKNOWN: Device = Device {
        device_type: DeviceType::Unknown,
        browser: Browser::Other,
        os: Os::Other,
        is_bot: false,
    };
}

/// The device of a request, from its `User-Agent` (if any) and Cloudflare's bot signals.
///
/// A missing header is `unknown` but not a bot by itself: local development and tests send
/// none, and Cloudflare's score covers headless traffic in production.
pub fn detect_device(
    user_agent: Option<&str>,
    cf_verified_bot: bool,
    cf_bot_score: Option<u8>,
) -> Device {
    let mut device = user_agent.map_or(Device::UNKNOWN, parse_user_agent);
    if is_bot_by_cloudflare(cf_verified_bot, cf_bot_score) {
        device.is_bot = true;
        device.device_type = DeviceType::Bot;
    }
    device
}

/// Whether Cloudflare's bot management calls the request automated: a verified bot (Googlebot,
/// Pingdom...), or a bot score from 1 to 29 ("likely automated").
///
/// NOTE: scores run from 1 (automated) to 99 (human); 0 means "not scored", so it is ignored
/// rather than read as the most automated of all.
pub fn is_bot_by_cloudflare(cf_verified_bot: bool, cf_bot_score: Option<u8>) -> bool {
    cf_verified_bot || cf_bot_score.is_some_and(|score| (1..30).contains(&score))
}

thread_local! {
    // NOTE: a page view reads the device twice (bot check, attributes) and a browser sends the
    // same header on every request: the last answer is kept (one entry per isolate or thread).
    static LAST_PARSED: RefCell<Option<(String, Device)>> = const { RefCell::new(None) };
}

/// Parses a `User-Agent` header. Never fails: unrecognised input is `unknown`/`other`.
pub fn parse_user_agent(user_agent: &str) -> Device {
    let known = LAST_PARSED.with_borrow(|last| {
        last.as_ref()
            .filter(|(header, _)| header == user_agent)
            .map(|(_, device)| *device)
    });
    if let Some(device) = known {
        return device;
    }
    let device = parse(user_agent);
    LAST_PARSED.with_borrow_mut(|last| *last = Some((user_agent.to_string(), device)));
    device
}

fn parse(user_agent: &str) -> Device {
    let ua = user_agent.trim().to_ascii_lowercase();
    if ua.is_empty() {
        return Device::UNKNOWN;
    }
    let os = os(&ua);
    let is_bot = is_bot_lowercase(&ua);
    let device_type = if is_bot {
        DeviceType::Bot
    } else {
        form_factor(&ua, os)
    };
    Device {
        device_type,
        browser: browser(&ua, os),
        os,
        is_bot,
    }
}

/// Whether a `User-Agent` belongs to a crawler, link previewer, monitor, headless browser or
/// HTTP library (case-insensitive).
pub fn is_bot_user_agent(user_agent: &str) -> bool {
    is_bot_lowercase(&user_agent.trim().to_ascii_lowercase())
}

/// Substrings (lower case) that only automated clients send.
const BOT_TOKENS: &[&str] = &[
    // Crawlers and link previewers that do not end their name in "bot".
    "spider",
    "crawl",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "whatsapp/",
    "embedly",
    "iframely",
    "preview",
    "ia_archiver",
    // Google's fetchers: AdsBot-Google, Mediapartners-Google, Google-InspectionTool...
    "google-",
    "-google",
    // Headless browsers, performance and uptime tools.
    "headless",
    "phantomjs",
    "lighthouse",
    "pagespeed",
    "gtmetrix",
    "pingdom",
    "statuscake",
    "site24x7",
    "newrelic",
    "datadog",
    "checkly",
    "uptime",
    "healthcheck",
    "health-check",
    "kube-probe",
    "prometheus",
    "cloudflare-",
    // Scanners.
    "zgrab",
    "masscan",
    "nmap",
    "nuclei",
    // HTTP libraries and command-line tools.
    "curl",
    "wget",
    "python-",
    "python/",
    "aiohttp",
    "httpx",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "node-fetch",
    "undici",
    "axios",
    "postmanruntime",
    "insomnia",
    "scrapy",
    "httpie",
    "guzzlehttp",
    "faraday",
    "ruby",
    "dart/",
    "reqwest",
    "deno/",
    "powershell",
    "mechanize",
];

/// Whether `ua` contains `token`: a plain byte comparison at each position.
///
/// NOTE: `str::contains` prepares a two-way search for every pattern, which costs more than
/// the search itself on a User-Agent's hundred-odd bytes, times the fifty-odd tokens here
/// (a measurable part of a page view's CPU, profiled); comparing first bytes is cheapest.
fn has(ua: &str, token: &str) -> bool {
    let Some((first, rest)) = token.as_bytes().split_first() else {
        return true;
    };
    let ua = ua.as_bytes();
    (0..ua.len()).any(|at| ua[at] == *first && ua[at + 1..].starts_with(rest))
}

fn is_bot_lowercase(ua: &str) -> bool {
    // NOTE: Node's built-in fetch sends exactly `node`; as a substring it would match far too
    // much, so it is compared whole.
    ua == "node" || BOT_TOKENS.iter().any(|token| has(ua, token)) || has_bot_word(ua)
}

/// Whether a word ends in `bot` (Googlebot, bingbot, AhrefsBot, Slackbot, GPTBot, Pingdom's
/// `_bot_`), without matching words that merely contain it (`bottle`) or the CUBOT phone brand.
fn has_bot_word(ua: &str) -> bool {
    let bytes = ua.as_bytes();
    ua.match_indices("bot").any(|(at, _)| {
        let ends_word = !bytes.get(at + 3).is_some_and(u8::is_ascii_alphabetic);
        let is_cubot = at >= 2
            && &bytes[at - 2..at] == b"cu"
            && !(at >= 3 && bytes[at - 3].is_ascii_alphabetic());
        ends_word && !is_cubot
    })
}

fn os(ua: &str) -> Os {
    if has(ua, "iphone") || has(ua, "ipad") || has(ua, "ipod") {
        Os::Ios
    } else if has(ua, "windows phone") {
        // NOTE: checked before Android: later Windows Phone builds also claim Android.
        Os::Other
    } else if has(ua, "android") {
        Os::Android
    } else if has(ua, "; cros ") || has(ua, "(cros ") {
        // NOTE: the token is matched whole: `microsoft` contains `cros`.
        Os::Chromeos
    } else if has(ua, "windows") {
        Os::Windows
    } else if has(ua, "macintosh") || has(ua, "mac os x") {
        Os::Macos
    } else if has(ua, "linux") || has(ua, "x11") {
        Os::Linux
    } else {
        Os::Other
    }
}

fn form_factor(ua: &str, os: Os) -> DeviceType {
    let mobi = has(ua, "mobi");
    let tablet_token = has(ua, "tablet") && !has(ua, "tablet pc");
    if has(ua, "ipad") || has(ua, "kindle") || has(ua, "silk/") || tablet_token {
        DeviceType::Tablet
    } else if has(ua, "iphone") || has(ua, "ipod") || has(ua, "windows phone") {
        DeviceType::Mobile
    } else if os == Os::Android {
        if mobi {
            DeviceType::Mobile
        } else {
            DeviceType::Tablet
        }
    } else if mobi {
        DeviceType::Mobile
    } else if matches!(os, Os::Windows | Os::Macos | Os::Linux | Os::Chromeos) {
        DeviceType::Desktop
    } else {
        DeviceType::Unknown
    }
}

/// Browsers built on Chrome or Safari that name themselves: they are `other`, not the engine.
const OTHER_BROWSER_TOKENS: &[&str] = &[
    "yabrowser/",
    "ucbrowser/",
    "vivaldi/",
    "silk/",
    "miuibrowser/",
    "huaweibrowser/",
    "duckduckgo/",
    "fban/",
    "fbav/",
    "instagram",
    "gsa/",
    "trident/",
    "msie ",
];

fn browser(ua: &str, os: Os) -> Browser {
    let any = |tokens: &[&str]| tokens.iter().any(|t| has(ua, t));
    // NOTE: order matters: Edge, Samsung and Opera all also say `Chrome/` and `Safari/`, and
    // Chrome says `Safari/`.
    if any(&["edg/", "edga/", "edgios/", "edge/"]) {
        Browser::Edge
    } else if has(ua, "samsungbrowser/") {
        Browser::Samsung
    } else if any(&["opr/", "opera", "opios/"]) {
        Browser::Opera
    } else if any(OTHER_BROWSER_TOKENS) {
        Browser::Other
    } else if any(&["firefox/", "fxios/"]) {
        Browser::Firefox
    } else if any(&["chrome/", "crios/", "chromium/"]) {
        Browser::Chrome
    } else if has(ua, "safari/") && matches!(os, Os::Ios | Os::Macos) {
        // NOTE: the old Android stock browser also says `Safari/`; only Apple's is Safari.
        Browser::Safari
    } else {
        Browser::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Browser as B;
    use DeviceType as T;
    use Os as O;

    /// (name, user agent, device type, browser, os).
    const CASES: &[(&str, &str, DeviceType, Browser, Os)] = &[
        (
            "iPhone Safari",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            T::Mobile, B::Safari, O::Ios,
        ),
        (
            "iPad Safari",
            "Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
            T::Tablet, B::Safari, O::Ios,
        ),
        (
            "iPadOS desktop-class Safari looks like a Mac",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            T::Desktop, B::Safari, O::Macos,
        ),
        (
            "Chrome on iPhone",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/123.0.6312.52 Mobile/15E148 Safari/604.1",
            T::Mobile, B::Chrome, O::Ios,
        ),
        (
            "Firefox on iPhone",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/124.0 Mobile/15E148 Safari/605.1.15",
            T::Mobile, B::Firefox, O::Ios,
        ),
        (
            "Edge on iPhone",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) EdgiOS/122.0.2365.99 Version/17.0 Mobile/15E148 Safari/604.1",
            T::Mobile, B::Edge, O::Ios,
        ),
        (
            "Facebook in-app browser on iPhone",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/450.0.0.38.108;FBBV/564431005;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
            T::Mobile, B::Other, O::Ios,
        ),
        (
            "Android Chrome phone",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            T::Mobile, B::Chrome, O::Android,
        ),
        (
            "Android Chrome tablet",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            T::Tablet, B::Chrome, O::Android,
        ),
        (
            "Samsung Internet phone",
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            T::Mobile, B::Samsung, O::Android,
        ),
        (
            "Samsung Internet tablet",
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
            T::Tablet, B::Samsung, O::Android,
        ),
        (
            "Firefox Android phone",
            "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
            T::Mobile, B::Firefox, O::Android,
        ),
        (
            "Firefox Android tablet",
            "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
            T::Tablet, B::Firefox, O::Android,
        ),
        (
            "Edge Android",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36 EdgA/123.0.2420.102",
            T::Mobile, B::Edge, O::Android,
        ),
        (
            "Opera Android",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36 OPR/81.1.4292.78446",
            T::Mobile, B::Opera, O::Android,
        ),
        (
            "Android WebView",
            "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36",
            T::Mobile, B::Chrome, O::Android,
        ),
        (
            "Instagram in-app on Android",
            "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.54 Mobile Safari/537.36 Instagram 327.0.0.40.94 Android (34/14; 450dpi; 1080x2340; samsung; SM-S911B; dm1q; qcom; en_GB; 587838497)",
            T::Mobile, B::Other, O::Android,
        ),
        (
            "Kindle Fire Silk",
            "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/122.2.2 like Chrome/122.0.6261.119 Safari/537.36",
            T::Tablet, B::Other, O::Android,
        ),
        (
            "CUBOT phone is not a bot",
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            T::Mobile, B::Chrome, O::Android,
        ),
        (
            "Windows Phone Edge",
            "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
            T::Mobile, B::Edge, O::Other,
        ),
        (
            "Opera Mini feature phone",
            "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54",
            T::Mobile, B::Opera, O::Other,
        ),
        (
            "Chrome on Windows",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            T::Desktop, B::Chrome, O::Windows,
        ),
        (
            "Edge on Windows",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            T::Desktop, B::Edge, O::Windows,
        ),
        (
            "legacy Edge on Windows",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
            T::Desktop, B::Edge, O::Windows,
        ),
        (
            "Firefox on Windows",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
            T::Desktop, B::Firefox, O::Windows,
        ),
        (
            "Opera on Windows",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
            T::Desktop, B::Opera, O::Windows,
        ),
        (
            "Yandex Browser on Windows",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
            T::Desktop, B::Other, O::Windows,
        ),
        (
            "Internet Explorer 11 (Tablet PC token is not a tablet)",
            "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; SLCC2; .NET CLR 2.0.50727; Tablet PC 2.0; rv:11.0) like Gecko",
            T::Desktop, B::Other, O::Windows,
        ),
        (
            "Chrome on macOS",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            T::Desktop, B::Chrome, O::Macos,
        ),
        (
            "Firefox on macOS",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
            T::Desktop, B::Firefox, O::Macos,
        ),
        (
            "Chrome on Linux",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            T::Desktop, B::Chrome, O::Linux,
        ),
        (
            "Firefox on Ubuntu",
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            T::Desktop, B::Firefox, O::Linux,
        ),
        (
            "Chrome on ChromeOS",
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            T::Desktop, B::Chrome, O::Chromeos,
        ),
        (
            "Googlebot smartphone",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            T::Bot, B::Chrome, O::Android,
        ),
        (
            "Googlebot desktop",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "bingbot",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "AhrefsBot",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "Applebot",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
            T::Bot, B::Safari, O::Macos,
        ),
        (
            "GPTBot",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "AdsBot-Google",
            "AdsBot-Google (+http://www.google.com/adsbot.html)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "facebookexternalhit",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "Slackbot link expander",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "UptimeRobot",
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "Pingdom",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            T::Bot, B::Other, O::Other,
        ),
        (
            "Lighthouse",
            "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            T::Bot, B::Chrome, O::Android,
        ),
        (
            "HeadlessChrome",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36",
            T::Bot, B::Chrome, O::Linux,
        ),
        ("curl", "curl/8.5.0", T::Bot, B::Other, O::Other),
        ("Wget", "Wget/1.21.4", T::Bot, B::Other, O::Other),
        ("python-requests", "python-requests/2.31.0", T::Bot, B::Other, O::Other),
        ("Go-http-client", "Go-http-client/2.0", T::Bot, B::Other, O::Other),
        ("okhttp", "okhttp/4.12.0", T::Bot, B::Other, O::Other),
        ("Node fetch", "node", T::Bot, B::Other, O::Other),
        ("empty", "", T::Unknown, B::Other, O::Other),
        ("whitespace", "   ", T::Unknown, B::Other, O::Other),
        ("garbage", "\u{0}\u{FFFD}%%; (;;) /", T::Unknown, B::Other, O::Other),
        ("a word containing bot", "Bottlenose/1.0", T::Unknown, B::Other, O::Other),
    ];

    #[test]
    fn user_agents_are_classified() {
        let mut failures = Vec::new();
        for &(name, ua, device_type, browser, os) in CASES {
            let expected = Device {
                device_type,
                browser,
                os,
                is_bot: device_type == DeviceType::Bot,
            };
            let actual = parse_user_agent(ua);
            if actual != expected {
                failures.push(format!("{name}: expected {expected:?}, got {actual:?}"));
            }
            assert_eq!(is_bot_user_agent(ua), expected.is_bot, "is_bot of {name}");
        }
        assert!(
            failures.is_empty(),
            "{} of {} user agents misclassified:\n{}",
            failures.len(),
            CASES.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn cloudflare_signals_make_a_bot() {
        let iphone = CASES[0].1;
        let human = detect_device(Some(iphone), false, Some(80));
        assert_eq!(human.device_type, DeviceType::Mobile);
        assert!(!human.is_bot);

        let verified = detect_device(Some(iphone), true, None);
        assert!(verified.is_bot);
        assert_eq!(verified.device_type, DeviceType::Bot);
        assert_eq!(verified.os, Os::Ios, "the claimed OS is kept");

        for (score, bot) in [
            (Some(1), true),
            (Some(29), true),
            (Some(30), false),
            (Some(0), false),
            (None, false),
        ] {
            assert_eq!(
                detect_device(Some(iphone), false, score).is_bot,
                bot,
                "score {score:?}"
            );
        }

        assert_eq!(detect_device(None, false, None), Device::UNKNOWN);
        let scored = detect_device(None, false, Some(2));
        assert_eq!((scored.device_type, scored.is_bot), (DeviceType::Bot, true));
    }

    #[test]
    fn attribute_values_are_stable() {
        assert_eq!(DeviceType::Tablet.as_str(), "tablet");
        assert_eq!(Browser::Samsung.as_str(), "samsung");
        assert_eq!(Os::Chromeos.as_str(), "chromeos");
    }
}
