//! Property tests for slot templates: hostile data (markup, quotes, `&`, `javascript:` URLs,
//! any Unicode) never adds markup to an Html template's output nor gets a dangerous URL past
//! the scheme check; compiling any source and rendering any compiled template against any
//! JSON never panics and stays within the output cap.
#![cfg(not(target_arch = "wasm32"))] // native only: the Worker never runs tests

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tailor::content::template::{Template, TemplateMode, MAX_OUTPUT_BYTES};

/// Strings an attacker might put in a profile or a URL.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("\"><img src=x onerror=alert(1)>".to_string()),
        Just("' onmouseover='alert(1)".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just(" \u{1}JaVa\tScRiPt:alert(1)".to_string()),
        Just("data:text/html,<b>".to_string()),
        Just("&lt;&#60;&amp;".to_string()),
        Just("-->{{ x }}{% if %}".to_string()),
        "[<>&\"'a-z:/?#= \t]{0,24}",
        "\\PC{0,16}",
        any::<String>(),
    ]
}

/// Html templates covering every escaping context that accepts variables.
const TEMPLATES: &[&str] = &[
    "<p>Hi {{ customer.firstName }}!</p>",
    "<a href=\"{{ profile.url }}\" title='{{ customer.firstName }}'>{{ profile.url | upcase }}</a>",
    "<a href=\"/search?q={{ page.query.q }}&amp;from={{ customer.firstName }}#{{ profile.url }}\">x</a>",
    "<ul>{% for item in cart.items %}<li data-i=\"{{ forloop.index }}\">{{ item.title | truncate: 5 }}</li>{% endfor %}</ul>",
    "<img src=\"{{ profile.url }}\" alt=\"{{ customer.firstName | default: 'friend' }}\">",
    "{% if customer.firstName %}<b>{{ customer.firstName | capitalize }}</b>{% else %}<i>x</i>{% endif %}",
    "<img srcset=\"{{ profile.url }} 1x, {{ page.query.q }} 2x\">",
    "{{ customer.firstName | url_encode }}<i>{{ cart.items.0.title | downcase }}</i>",
    "<a href=\"{{ customer.firstName }}{{ profile.url }}\">{{ cart.items.1.title }}</a>",
    "<form action=\"{{ profile.url }}\"><button formaction=\"{{ page.query.q }}\">go</button></form>",
];

fn context(strings: &[String; 5]) -> Value {
    json!({
        "customer": {"firstName": strings[0]},
        "profile": {"url": strings[1]},
        "cart": {"items": [{"title": strings[2]}, {"title": strings[3]}]},
        "page": {"query": {"q": strings[4]}},
    })
}

/// How many times each markup-significant character occurs.
fn markup(html: &str) -> [usize; 4] {
    ['<', '>', '"', '\''].map(|c| html.matches(c).count())
}

/// Every URL attribute value in the output, entity-decoded as a browser would.
fn url_values(html: &str) -> Vec<String> {
    let mut values = Vec::new();
    for attribute in ["href=", "src=", "action=", "formaction=", "srcset="] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let Some(quote) = rest.chars().next() else {
                continue;
            };
            let value = rest[1..].split(quote).next().unwrap_or("");
            let decoded = value
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            if attribute == "srcset=" {
                values.extend(decoded.split(',').map(str::to_string));
            } else {
                values.push(decoded);
            }
        }
    }
    values
}

fn dangerous(url: &str) -> bool {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "data:", "vbscript:"]
        .iter()
        .any(|scheme| cleaned.starts_with(scheme))
}

/// Template-ish fragments, so that generated sources get past the tokenizer often.
const FRAGMENTS: &[&str] = &[
    "{{ a }}",
    "{{ a.b | upcase }}",
    "{{ items.0 | default: 'x' | truncate: 3 }}",
    "{% if a %}",
    "{% elsif b contains 'x' %}",
    "{% else %}",
    "{% endif %}",
    "{% for x in items limit: 3 %}",
    "{% for y in a reversed %}",
    "{% endfor %}",
    "{{ x.title | money: 'USD' }}",
    "{{ forloop.index }}",
    "<a href=\"",
    "<p title='",
    "\">",
    "'>",
    "<p>",
    "</p>",
    "{{ a | plus: 1 | times: b | round: 2 }}",
    "{%- raw -%}",
    "{% endraw %}",
    "<script>",
    "</script>",
    "{{-",
    "-}}",
    "{{ a.size | minus: 2.5 }}",
    "?q=",
    "&",
    "'",
    "\"",
    "{% unless a == b and b != 1 or c %}",
    "{% endunless %}",
    "{{ a | join: ', ' | url_encode }}",
    "{{ a | first }}{{ a | last }}{{ a | size }}",
    "<!--",
    "-->",
    "é",
    "{%",
    "}}",
    " ",
    "\n",
];

/// Templates that are well formed by construction (so they compile, and get rendered).
fn well_formed() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(
        &[
            "{{ a }}",
            "{{ a.b | upcase | default: c }}",
            "{{ x.title | money: 'EUR' }}",
            "{{ items.0 | truncate: 2 }}",
            "{{ a | plus: b | times: 1.5 | round }}",
            "{{ a | join: '-' | size }}",
            "{{ forloop.index }}",
            "<p title=\"{{ a }}\">t</p>",
            "<a href=\"{{ x }}?q={{ a }}\">l</a>",
            "text é ",
            "{%- raw %}{{ a }}{% endraw -%}",
        ][..],
    )
    .prop_map(str::to_string);
    leaf.prop_recursive(5, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.concat()),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!(
                "{{% if a contains b or c > 1 %}}{a}{{% else %}}{b}{{% endif %}}"
            )),
            inner
                .clone()
                .prop_map(|a| format!("{{% unless a == nil %}}{a}{{% endunless %}}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!(
                "{{% for x in items limit: 50 %}}{a}{{% else %}}{b}{{% endfor %}}"
            )),
        ]
    })
}

fn source() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => well_formed(),
        1 => prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|f| f.concat()),
        1 => any::<String>(),
        1 => "[{}%|:a-z \"'<>=.0-9-]{0,64}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        hostile().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop::sample::select(&["a", "b", "c", "x", "items", "title", "size", "0"][..]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6).prop_map(|fields| {
                Value::Object(
                    fields
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn mode() -> impl Strategy<Value = TemplateMode> {
    prop_oneof![
        3 => Just(TemplateMode::Html),
        1 => prop::sample::select(&["href", "src", "title", "class", "onclick", "style", "srcset"][..])
            .prop_map(|a| TemplateMode::AttributeValue { attribute: a.to_string() }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn hostile_data_never_adds_markup_or_dangerous_urls(
        strings in [hostile(), hostile(), hostile(), hostile(), hostile()]
    ) {
        let benign = context(&std::array::from_fn(|_| "x".to_string()));
        let hostile = context(&strings);
        for (i, source) in TEMPLATES.iter().enumerate() {
            let template = Template::compile(source, TemplateMode::Html, "t")
                .unwrap_or_else(|e| panic!("template {i} {source:?}: {e:?}"));
            let expected = template.render(&benign);
            let got = template.render(&hostile);
            prop_assert_eq!(markup(&got), markup(&expected), "template {} rendered {:?}", i, got);
            for url in url_values(&got) {
                prop_assert!(!dangerous(&url), "template {} let {:?} through: {:?}", i, url, got);
            }
        }
    }

    #[test]
    fn attribute_values_never_carry_a_dangerous_url(strings in [hostile(), hostile(), hostile(), hostile(), hostile()]) {
        let hostile = context(&strings);
        for source in ["{{ profile.url }}", "{{ customer.firstName }}{{ profile.url }}", " {{ profile.url | downcase }}?q={{ page.query.q }}"] {
            let mode = TemplateMode::AttributeValue { attribute: "href".into() };
            let template = Template::compile(source, mode, "t").expect("compiles");
            let got = template.render(&hostile);
            prop_assert!(!dangerous(&got), "{:?} rendered {:?}", source, got);
        }
    }

    #[test]
    fn well_formed_templates_compile(source in well_formed()) {
        prop_assert!(Template::compile(&source, TemplateMode::Html, "t").is_ok(), "{:?}", source);
    }

    #[test]
    fn compile_never_panics(source in source(), mode in mode()) {
        let _ = Template::compile(&source, mode, "slots[0].content.x");
    }

    #[test]
    fn rendering_any_compiled_template_never_panics(
        source in source(),
        mode in mode(),
        context in json_value(),
    ) {
        if let Ok(template) = Template::compile(&source, mode, "t") {
            let out = template.render(&context);
            prop_assert!(out.len() <= MAX_OUTPUT_BYTES);
            let _ = (template.is_static(), template.variables());
        }
    }
}
