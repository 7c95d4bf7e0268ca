//! Unit tests of the template language: each filter, tag, error, escaping context and limit.

use serde_json::{json, Value};

use super::*;

const PATH: &str = "slots[2].content.vip";

fn context() -> Value {
    json!({
        "customer": {"firstName": "ada", "lastName": "Lovelace", "tags": ["vip", "eu"], "empty": ""},
        "cart": {
            "itemCount": 3,
            "total": 12.5,
            "items": [
                {"title": "Red shoe", "price": 10},
                {"title": "Blue hat", "price": 2.5},
                {"title": "Green scarf", "price": 0}
            ]
        },
        "page": {"path": "/products/a b", "query": {"q": "x&y=1"}},
        "profile": {"list": [], "url": "javascript:alert(1)", "site": "https://ok.test/a", "zero": 0, "no": false},
        "hostile": "<script>alert(\"x\")</script>&'",
        "nested": [{"name": "a", "variants": [1, 2]}, {"name": "b", "variants": [1]}],
    })
}

fn html(source: &str) -> Template {
    match Template::compile(source, TemplateMode::Html, PATH) {
        Ok(t) => t,
        Err(errors) => panic!("{source:?} should compile: {errors:#?}"),
    }
}

fn attribute(name: &str, source: &str) -> Template {
    let mode = TemplateMode::AttributeValue {
        attribute: name.into(),
    };
    match Template::compile(source, mode, PATH) {
        Ok(t) => t,
        Err(errors) => panic!("{source:?} should compile: {errors:#?}"),
    }
}

fn errors(source: &str, mode: TemplateMode) -> Vec<String> {
    match Template::compile(source, mode, PATH) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// Renders each (name, template, expected) case in Html mode; reports every failure by name.
fn check_html(cases: &[(&str, &str, &str)]) {
    let context = context();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, source, expected)| {
            let got = html(source).render(&context);
            (got != *expected)
                .then(|| format!("{name}: {source:?} rendered {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn outputs_read_paths_indexes_and_sizes() {
    check_html(&[
        ("plain path", "Hi {{ customer.firstName }}!", "Hi ada!"),
        ("missing", "[{{ customer.nope.deeper }}]", "[]"),
        ("index by dot", "{{ cart.items.1.title }}", "Blue hat"),
        (
            "index by bracket",
            "{{ cart.items[2][\"title\"] }}",
            "Green scarf",
        ),
        ("index out of range", "[{{ cart.items.9.title }}]", "[]"),
        ("size of array", "{{ cart.items.size }}", "3"),
        ("size of string", "{{ customer.firstName.size }}", "3"),
        ("size of object", "{{ customer.size }}", "4"),
        (
            "first and last",
            "{{ cart.items.first.title }}/{{ cart.items.last.title }}",
            "Red shoe/Green scarf",
        ),
        ("number", "{{ cart.total }}", "12.5"),
        ("bool", "{{ profile.no }}", "false"),
        ("array runs together", "{{ customer.tags }}", "vipeu"),
        ("object prints nothing", "[{{ customer }}]", "[]"),
        (
            "literals",
            "{{ 'a' }}{{ \"b\" }}{{ 3 }}{{ -1.5 }}{{ true }}[{{ nil }}]",
            "ab3-1.5true[]",
        ),
        ("string with braces", "{{ \"}}\" }}", "}}"),
    ]);
}

#[test]
fn every_filter() {
    check_html(&[
        (
            "default on missing",
            "{{ customer.nickname | default: \"there\" }}",
            "there",
        ),
        (
            "default on empty",
            "{{ customer.empty | default: \"there\" }}",
            "there",
        ),
        ("default on false", "{{ profile.no | default: \"x\" }}", "x"),
        (
            "default keeps 0",
            "{{ profile.zero | default: \"x\" }}",
            "0",
        ),
        (
            "default keeps value",
            "{{ customer.firstName | default: \"there\" }}",
            "ada",
        ),
        (
            "default from path",
            "{{ customer.nickname | default: customer.lastName }}",
            "Lovelace",
        ),
        ("upcase", "{{ customer.firstName | upcase }}", "ADA"),
        ("downcase", "{{ customer.lastName | downcase }}", "lovelace"),
        (
            "capitalize",
            "{{ \"hELLO world\" | capitalize }}",
            "Hello world",
        ),
        (
            "capitalize unicode",
            "{{ \"émile\" | capitalize }}",
            "Émile",
        ),
        (
            "truncate long",
            "{{ \"Hello wonderful world\" | truncate: 10 }}",
            "Hello won…",
        ),
        (
            "truncate trims before the ellipsis",
            "{{ \"Hello wonderful\" | truncate: 7 }}",
            "Hello…",
        ),
        ("truncate short", "{{ \"Hello\" | truncate: 10 }}", "Hello"),
        ("truncate unicode", "{{ \"ééééé\" | truncate: 3 }}", "éé…"),
        ("truncate zero", "[{{ \"Hello\" | truncate: 0 }}]", "[]"),
        ("money", "{{ cart.total | money }}", "12.50"),
        ("money USD", "{{ cart.total | money: \"USD\" }}", "$12.50"),
        ("money EUR", "{{ cart.total | money: \"eur\" }}", "€12.50"),
        ("money GBP", "{{ cart.total | money: \"GBP\" }}", "£12.50"),
        (
            "money other",
            "{{ cart.total | money: \"CHF\" }}",
            "12.50 CHF",
        ),
        ("money negative", "{{ -3 | money: \"USD\" }}", "-$3.00"),
        ("money string number", "{{ \"7.256\" | money }}", "7.26"),
        (
            "money not a number",
            "[{{ customer.firstName | money }}]",
            "[]",
        ),
        ("round", "{{ 2.6 | round }}", "3"),
        ("round digits", "{{ 2.456 | round: 2 }}", "2.46"),
        ("plus", "{{ cart.itemCount | plus: 2 }}", "5"),
        ("plus float", "{{ cart.total | plus: 1 }}", "13.5"),
        (
            "plus missing counts as 0",
            "{{ customer.nope | plus: 1 }}",
            "1",
        ),
        ("minus", "{{ cart.itemCount | minus: 5 }}", "-2"),
        ("times", "{{ cart.itemCount | times: 3 }}", "9"),
        (
            "times overflow goes float",
            "{{ 9223372036854775807 | times: 2 }}",
            "1.8446744073709552e+19",
        ),
        ("join", "{{ customer.tags | join: \", \" }}", "vip, eu"),
        (
            "join default separator",
            "{{ customer.tags | join }}",
            "vip eu",
        ),
        ("first", "{{ customer.tags | first }}", "vip"),
        ("last", "{{ customer.tags | last }}", "eu"),
        ("first of string", "{{ customer.firstName | first }}", "a"),
        ("size", "{{ customer.tags | size }}", "2"),
        ("size of missing", "{{ customer.nope | size }}", "0"),
        (
            "url_encode",
            "{{ \"a b&c/é\" | url_encode }}",
            "a+b%26c%2F%C3%A9",
        ),
        (
            "chain",
            "{{ customer.nickname | default: \"friend\" | upcase | truncate: 4 }}",
            "FRI…",
        ),
    ]);
}

#[test]
fn every_tag() {
    check_html(&[
        ("if true", "{% if customer.firstName %}yes{% endif %}", "yes"),
        ("if false", "[{% if customer.nope %}yes{% endif %}]", "[]"),
        ("elsif", "{% if cart.itemCount > 5 %}a{% elsif cart.itemCount > 2 %}b{% else %}c{% endif %}", "b"),
        ("else", "{% if cart.itemCount > 5 %}a{% elsif cart.itemCount > 4 %}b{% else %}c{% endif %}", "c"),
        ("unless", "{% unless customer.nope %}shown{% endunless %}", "shown"),
        ("unless else", "{% unless customer.firstName %}a{% else %}b{% endunless %}", "b"),
        ("for", "{% for item in cart.items %}{{ item.title }};{% endfor %}", "Red shoe;Blue hat;Green scarf;"),
        ("for limit", "{% for item in cart.items limit: 2 %}{{ forloop.index }}{% endfor %}", "12"),
        ("forloop", "{% for t in customer.tags %}{% if forloop.first %}[{% endif %}{{ t }}{% if forloop.last %}]{% else %},{% endif %}{% endfor %}", "[vip,eu]"),
        ("forloop more", "{% for t in customer.tags %}{{ forloop.index0 }}{{ forloop.rindex }}{{ forloop.length }}{% endfor %}", "022112"),
        ("for reversed", "{% for t in customer.tags reversed %}{{ t }}{% endfor %}", "euvip"),
        ("for else on empty", "{% for t in customer.nope %}x{% else %}(empty){% endfor %}", "(empty)"),
        ("for over non-array runs else", "{% for t in customer.firstName %}x{% else %}-{% endfor %}", "-"),
        ("nested for sees outer", "{% for a in customer.tags %}{% for b in customer.tags %}{{ a }}{{ b }} {% endfor %}{% endfor %}", "vipvip vipeu euvip eueu "),
        ("loop variable shadows context", "{% for customer in cart.items limit: 1 %}{{ customer.title }}{% endfor %}{{ customer.firstName }}", "Red shoeada"),
        ("for over a loop variable's list", "{% for c in cart.items limit: 1 %}{% for t in customer.tags %}{% for u in t %}-{% endfor %}{% endfor %}{% endfor %}{% for x in cart.items limit: 2 %}{% for y in cart.items reversed limit: 1 %}{{ y.title }}{% endfor %}{% endfor %}", "Red shoeRed shoe"),
        ("for over a forloop field", "{% for t in customer.tags %}{% for f in forloop %}x{% else %}{{ forloop.index }}{% endfor %}{% endfor %}", "12"),
        ("nested loop over the outer item's field", "{% for p in nested %}{% for v in p.variants %}{{ p.name }}{{ v }}{{ forloop.index }};{% endfor %}{% endfor %}", "a11;a22;b11;"),
        ("raw", "{% raw %}{{ not }} {% parsed %}{% endraw %}", "{{ not }} {% parsed %}"),
        ("comment", "a{% comment %}{{ x | nope }}{% endcomment %}b", "ab"),
    ]);
}

#[test]
fn conditions_follow_liquid() {
    check_html(&[
        ("eq number", "{% if cart.itemCount == 3 %}y{% endif %}", "y"),
        ("eq int and float", "{% if 3 == 3.0 %}y{% endif %}", "y"),
        (
            "ne",
            "{% if customer.firstName != 'bob' %}y{% endif %}",
            "y",
        ),
        (
            "diamond ne",
            "{% if customer.firstName <> 'ada' %}y{% else %}n{% endif %}",
            "n",
        ),
        (
            "ge le",
            "{% if cart.itemCount >= 3 and cart.itemCount <= 3 %}y{% endif %}",
            "y",
        ),
        (
            "lt gt",
            "{% if cart.total < 13 and cart.total > 12 %}y{% endif %}",
            "y",
        ),
        ("string order", "{% if 'abc' < 'abd' %}y{% endif %}", "y"),
        (
            "mixed kinds never ordered",
            "{% if '5' > 3 %}y{% else %}n{% endif %}",
            "n",
        ),
        (
            "missing eq nil",
            "{% if customer.nope == nil %}y{% endif %}",
            "y",
        ),
        (
            "contains in array",
            "{% if customer.tags contains 'vip' %}y{% endif %}",
            "y",
        ),
        (
            "contains substring",
            "{% if customer.lastName contains 'love' %}y{% else %}n{% endif %}",
            "n",
        ),
        (
            "contains substring case",
            "{% if customer.lastName contains 'Love' %}y{% endif %}",
            "y",
        ),
        (
            "contains on missing",
            "{% if customer.nope contains 'a' %}y{% else %}n{% endif %}",
            "n",
        ),
        ("or", "{% if false or true %}y{% endif %}", "y"),
        (
            "right to left: true or (false and false)",
            "{% if true or false and false %}y{% else %}n{% endif %}",
            "y",
        ),
        (
            "right to left: false and (false or true)",
            "{% if false and false or true %}y{% else %}n{% endif %}",
            "n",
        ),
    ]);
}

#[test]
fn only_nil_and_false_are_falsy() {
    check_html(&[
        ("nil", "{% if nil %}t{% else %}f{% endif %}", "f"),
        (
            "missing",
            "{% if customer.nope %}t{% else %}f{% endif %}",
            "f",
        ),
        ("false", "{% if profile.no %}t{% else %}f{% endif %}", "f"),
        (
            "zero is true",
            "{% if profile.zero %}t{% else %}f{% endif %}",
            "t",
        ),
        (
            "empty string is true",
            "{% if customer.empty %}t{% else %}f{% endif %}",
            "t",
        ),
        (
            "empty array is true",
            "{% if profile.list %}t{% else %}f{% endif %}",
            "t",
        ),
        (
            "object is true",
            "{% if customer %}t{% else %}f{% endif %}",
            "t",
        ),
    ]);
}

#[test]
fn whitespace_control_trims_around_tags() {
    check_html(&[
        ("output trims", "a  {{- customer.firstName -}}  b", "aadab"),
        (
            "tag trims newlines",
            "<ul>\n  {%- for t in customer.tags -%}\n  <li>{{ t }}</li>\n  {%- endfor -%}\n</ul>",
            "<ul><li>vip</li><li>eu</li></ul>",
        ),
        ("no trim keeps", "a {{ customer.firstName }} b", "a ada b"),
        (
            "raw is verbatim",
            "x {%- raw -%} a {%- endraw -%} y",
            "x a y",
        ),
    ]);
}

#[test]
fn compile_errors_say_where() {
    let cases = [
        ("unknown filter", "Hi {{ name | upcasee }}", "slots[2].content.vip: line 1, column 14: unknown filter \"upcasee\" (did you mean \"upcase\"?)"),
        ("second line", "a\n  {% iff x %}{% endif %}", "slots[2].content.vip: line 2, column 3: unknown tag \"iff\" (did you mean \"if\"?)"),
        ("unclosed output", "a {{ x", "slots[2].content.vip: line 1, column 3: {{ is never closed with }}"),
        ("unclosed tag", "{% if x", "slots[2].content.vip: line 1, column 1: {% is never closed with %}"),
        ("unclosed if", "{% if x %}a", "slots[2].content.vip: line 1, column 1: {% if %} is never closed with {% endif %}"),
        ("unclosed for", "{% for x in y %}a{% else %}", "slots[2].content.vip: line 1, column 1: {% for %} is never closed with {% endfor %}"),
        ("unclosed raw", "{% raw %}x", "slots[2].content.vip: line 1, column 1: {% raw %} is never closed with {% endraw %}"),
        ("stray end", "a{% endif %}", "slots[2].content.vip: line 1, column 2: {% endif %} has no matching opening tag here"),
        ("mismatched end", "{% if x %}{% endfor %}{% endif %}", "slots[2].content.vip: line 1, column 11: {% endfor %} has no matching opening tag here"),
        ("two elses", "{% if x %}{% else %}{% else %}{% endif %}", "slots[2].content.vip: line 1, column 21: {% else %} has no matching opening tag here"),
        ("empty output", "{{ }}", "slots[2].content.vip: line 1, column 1: empty {{ }}: expected a value"),
        ("single equals", "{% if a = 1 %}{% endif %}", "slots[2].content.vip: line 1, column 9: use == to compare"),
        ("dangling and", "{% if a and %}{% endif %}", "slots[2].content.vip: line 1, column 13: expected a value"),
        ("junk in condition", "{% if a b %}{% endif %}", "slots[2].content.vip: line 1, column 9: expected a comparison, \"and\", \"or\" or the end of the tag, found \"b\""),
        ("unterminated string", "{{ 'abc }}", "slots[2].content.vip: line 1, column 1: {{ is never closed with }}"),
        ("filter arity", "{{ x | truncate }}", "slots[2].content.vip: line 1, column 8: filter \"truncate\" takes one argument"),
        ("filter extra arg", "{{ x | upcase: 1 }}", "slots[2].content.vip: line 1, column 8: filter \"upcase\" takes no arguments"),
        ("bad path", "{{ a. }}", "slots[2].content.vip: line 1, column 7: expected a name or index after \".\""),
        ("for without in", "{% for x of y %}{% endfor %}", "slots[2].content.vip: line 1, column 10: expected \"in\": {% for item in list %}"),
        ("bad limit", "{% for x in y limit: 'a' %}{% endfor %}", "slots[2].content.vip: line 1, column 22: limit must be a whole number"),
        ("unknown for option", "{% for x in y offset: 1 %}{% endfor %}", "slots[2].content.vip: line 1, column 15: unexpected \"offset\" (a for loop takes limit: n and reversed)"),
        ("trailing tokens", "{{ a b }}", "slots[2].content.vip: line 1, column 6: unexpected \"b\""),
        ("column counts characters", "éé {{ x | nope }}", "slots[2].content.vip: line 1, column 11: unknown filter \"nope\""),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, source, expected)| {
            let got = errors(source, TemplateMode::Html);
            (!got.iter().any(|e| e == expected))
                .then(|| format!("{name}: {source:?} gave {got:#?}, expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_errors_are_reported_at_once() {
    let got = errors("{{ a | nope }} {{ b | upcasee }}", TemplateMode::Html);
    assert_eq!(got.len(), 2, "{got:#?}");
}

#[test]
fn html_outputs_are_escaped_in_text_and_quoted_attributes() {
    // (a) text and (b) quoted attribute values: the same five characters.
    check_html(&[
        (
            "text",
            "<p>{{ hostile }}</p>",
            "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>",
        ),
        (
            "double quoted",
            "<p title=\"{{ hostile }}\">x</p>",
            "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;\">x</p>",
        ),
        (
            "single quoted",
            "<p title='{{ hostile }}'>x</p>",
            "<p title='&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'>x</p>",
        ),
        (
            "class list",
            "<p class=\"a {% if customer.tags contains 'vip' %}vip{% endif %}\">x</p>",
            "<p class=\"a vip\">x</p>",
        ),
        (
            "literal markup is trusted",
            "<b>{{ customer.firstName }}</b><!-- merchant note --><script>var a = 1;</script>",
            "<b>ada</b><!-- merchant note --><script>var a = 1;</script>",
        ),
        (
            "filters then escaping",
            "{{ hostile | upcase | truncate: 9 }}",
            "&lt;SCRIPT&gt;…",
        ),
        (
            "gt in attribute value literal",
            "<a title=\"a>b\" href=\"/x?q={{ customer.firstName }}\">x</a>",
            "<a title=\"a>b\" href=\"/x?q=ada\">x</a>",
        ),
    ]);
}

#[test]
fn outputs_where_escaping_is_not_enough_are_compile_errors() {
    let tag = "variables in a tag must be inside a quoted attribute value";
    let cases = [
        // (c) inside a tag, not in a quoted value.
        ("unquoted value", "<a href={{ x }}>y</a>", tag),
        ("attribute name", "<a {{ x }}=\"1\">y</a>", tag),
        ("bare attribute", "<input {{ x }}>", tag),
        ("tag name", "<{{ x }}>y", tag),
        ("end tag name", "<p>y</{{ x }}>", tag),
        ("after a quoted value", "<a title=\"a\"{{ x }}>y</a>", tag),
        // (d) raw text and comments.
        ("script", "<script>var name = \"{{ x }}\";</script>", "variables are not allowed inside <script>"),
        ("script upper case", "<SCRIPT type=\"module\">{{ x }}</SCRIPT>", "variables are not allowed inside <script>"),
        ("style", "<style>p { color: {{ x }} }</style>", "variables are not allowed inside <style>"),
        ("textarea", "<textarea>{{ x }}</textarea>", "variables are not allowed inside <textarea>"),
        ("title", "<title>{{ x }}</title>", "variables are not allowed inside <title>"),
        ("svg script", "<svg><script>{{ x }}</script></svg>", "variables are not allowed inside <script>"),
        ("comment", "<!-- {{ x }} -->", "variables are not allowed inside an HTML comment"),
        ("doctype-like", "<!x {{ x }}>", "variables are not allowed inside <!…> or <?…>"),
        // (f) event handlers, style, srcdoc, SVG animation.
        ("onclick", "<a onclick=\"go('{{ x }}')\">y</a>", "variables are not allowed in the event handler attribute \"onclick\" (it runs as script)"),
        ("onload upper case", "<img ONLOAD=\"{{ x }}\">", "variables are not allowed in the event handler attribute \"onload\" (it runs as script)"),
        ("style attribute", "<p style=\"color: {{ x }}\">y</p>", "variables are not allowed in a style attribute"),
        ("srcdoc", "<iframe srcdoc=\"{{ x }}\"></iframe>", "variables are not allowed in a srcdoc attribute (it is an HTML document)"),
        ("svg animate", "<svg><animate attributeName=\"href\" to=\"{{ x }}\"/></svg>", "variables are not allowed in the attributes of <animate>"),
        // Structure.
        ("ends in a tag", "<a href=\"/x\"", "the template ends inside the <a> tag; close it so the page after the slot is not swallowed"),
        ("ends in a comment", "<!-- x", "the template ends inside an HTML comment; close it so the page after the slot is not swallowed"),
        ("ends in script", "<script>x", "the template ends inside <script>; close it so the page after the slot is not swallowed"),
        ("branches differ", "{% if x %}<a href=\"/a\">{% else %}<a href=\"/b{% endif %}\">y</a>", "the branches of this {% if %} end in different HTML contexts; close every tag, attribute and comment in the branch that opens it"),
        ("loop body leaves a tag open", "{% for x in y %}<p {% endfor %}>", "the branches of this {% for %} end in different HTML contexts; close every tag, attribute and comment in the branch that opens it"),
        ("scheme after a variable", "<a href=\"{{ x }}script:alert(1)\">y</a>", "a URL that starts with a variable cannot continue with \":\" before any \"/\", \"?\" or \"#\""),
        ("entity after a variable", "<a href=\"{{ x }}&#58;alert(1)\">y</a>", "a URL that starts with a variable cannot continue with \"&\" before any \"/\", \"?\" or \"#\""),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, source, message)| {
            let got = errors(source, TemplateMode::Html);
            let found = got
                .iter()
                .any(|e| e.starts_with(PATH) && e.ends_with(message));
            (!found).then(|| format!("{name}: {source:?} gave {got:#?}, expected …{message:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_error_position_is_the_output() {
    assert_eq!(
        errors("<p>ok</p>\n<a onclick=\"{{ x }}\">", TemplateMode::Html),
        ["slots[2].content.vip: line 2, column 13: variables are not allowed in the event handler attribute \"onclick\" (it runs as script)"]
    );
}

#[test]
fn merchant_markup_without_variables_is_not_restricted() {
    check_html(&[
        ("static script", "<script>if (a < b) { x(\"</p>\") }</script><p>{{ customer.firstName }}</p>", "<script>if (a < b) { x(\"</p>\") }</script><p>ada</p>"),
        ("static onclick", "<a onclick=\"go()\" href=\"/{{ customer.firstName }}\">x</a>", "<a onclick=\"go()\" href=\"/ada\">x</a>"),
        ("less-than in text", "a < b {{ customer.firstName }}", "a < b ada"),
        ("both branches open the same tag", "{% if customer.firstName %}<a href=\"/vip\">{% else %}<a href=\"/\">{% endif %}{{ customer.firstName }}</a>", "<a href=\"/vip\">ada</a>"),
    ]);
}

#[test]
fn url_attributes_check_the_scheme_at_the_start_and_encode_queries() {
    // (e) URL attributes.
    check_html(&[
        (
            "javascript at start is inert",
            "<a href=\"{{ profile.url }}\">x</a>",
            "<a href=\"#\">x</a>",
        ),
        (
            "https at start passes",
            "<a href=\"{{ profile.site }}\">x</a>",
            "<a href=\"https://ok.test/a\">x</a>",
        ),
        (
            "relative at start passes",
            "<a href=\"{{ page.path }}\">x</a>",
            "<a href=\"/products/a b\">x</a>",
        ),
        (
            "leading space is still the start",
            "<a href=\"  {{ profile.url }}\">x</a>",
            "<a href=\"  #\">x</a>",
        ),
        ("src", "<img src=\"{{ profile.url }}\">", "<img src=\"#\">"),
        (
            "formaction",
            "<button formaction=\"{{ profile.url }}\">x</button>",
            "<button formaction=\"#\">x</button>",
        ),
        (
            "xlink:href",
            "<svg><a xlink:href=\"{{ profile.url }}\">x</a></svg>",
            "<svg><a xlink:href=\"#\">x</a></svg>",
        ),
        (
            "each variable at the start is checked",
            "<a href=\"{{ customer.nope }}{{ profile.url }}\">x</a>",
            "<a href=\"#\">x</a>",
        ),
        (
            "literal letters keep the start",
            "<a href=\"java{{ profile.url }}\">x</a>",
            "<a href=\"java#\">x</a>",
        ),
        (
            "srcset: each candidate",
            "<img srcset=\"/a.png 1x, {{ profile.url }} 2x\">",
            "<img srcset=\"/a.png 1x, # 2x\">",
        ),
        (
            "path position is escaped only",
            "<a href=\"/p/{{ profile.url }}\">x</a>",
            "<a href=\"/p/javascript:alert(1)\">x</a>",
        ),
        (
            "merchant scheme fixes the start",
            "<a href=\"mailto:{{ customer.firstName }}@shop.test\">x</a>",
            "<a href=\"mailto:ada@shop.test\">x</a>",
        ),
        (
            "query is percent-encoded",
            "<a href=\"/search?q={{ page.query.q }}&amp;x=1\">x</a>",
            "<a href=\"/search?q=x%26y%3D1&amp;x=1\">x</a>",
        ),
        (
            "fragment is percent-encoded",
            "<a href=\"/p#{{ page.path }}\">x</a>",
            "<a href=\"/p#%2Fproducts%2Fa+b\">x</a>",
        ),
        (
            "explicit url_encode is not doubled",
            "<a href=\"/s?q={{ page.query.q | url_encode }}\">x</a>",
            "<a href=\"/s?q=x%26y%3D1\">x</a>",
        ),
        (
            "non-URL attribute is not checked",
            "<p title=\"{{ profile.url }}\">x</p>",
            "<p title=\"javascript:alert(1)\">x</p>",
        ),
        (
            "query in a loop's later iterations",
            "<a href=\"/s{% for t in customer.tags %}?t={{ t }}{% endfor %}\">x</a>",
            "<a href=\"/s?t=vip?t=eu\">x</a>",
        ),
    ]);
}

#[test]
fn attribute_value_mode_is_plain_text_with_the_same_attribute_rules() {
    let context = context();
    let cases = [
        (
            "title is not escaped",
            "title",
            "{{ hostile }}",
            "<script>alert(\"x\")</script>&'",
        ),
        ("href start checked", "href", "{{ profile.url }}", "#"),
        ("HREF start checked", "HREF", "{{ profile.url }}", "#"),
        (
            "href https",
            "href",
            "{{ profile.site }}?a={{ page.query.q }}",
            "https://ok.test/a?a=x%26y%3D1",
        ),
        (
            "src relative",
            "src",
            "/img/{{ customer.firstName }}.png",
            "/img/ada.png",
        ),
        (
            "class",
            "class",
            "hero {% if customer.tags contains 'vip' %}hero--vip{% endif %}",
            "hero hero--vip",
        ),
        (
            "markup is just text",
            "alt",
            "<b>{{ customer.firstName }}</b>",
            "<b>ada</b>",
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, attr, source, expected)| {
            let got = attribute(attr, source).render(&context);
            (got != *expected)
                .then(|| format!("{name}: {source:?} rendered {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let mode = |attribute: &str| TemplateMode::AttributeValue {
        attribute: attribute.into(),
    };
    assert_eq!(
        errors("go({{ x }})", mode("onclick")),
        ["slots[2].content.vip: line 1, column 4: variables are not allowed in the event handler attribute \"onclick\" (it runs as script)"]
    );
    assert_eq!(
        errors("color: {{ x }}", mode("style")),
        ["slots[2].content.vip: line 1, column 8: variables are not allowed in a style attribute"]
    );
    assert_eq!(
        errors("go()", mode("onclick")),
        Vec::<String>::new(),
        "static values are fine"
    );
    assert_eq!(
        errors("{{ x }}script:1", mode("href")),
        ["slots[2].content.vip: line 1, column 14: a URL that starts with a variable cannot continue with \":\" before any \"/\", \"?\" or \"#\""]
    );
}

#[test]
fn limits_bound_hostile_templates() {
    // Source size.
    let big = "x".repeat(MAX_SOURCE_BYTES + 1);
    assert_eq!(
        errors(&big, TemplateMode::Html),
        [format!(
            "{PATH}: the template is {} bytes; at most {MAX_SOURCE_BYTES} are allowed",
            MAX_SOURCE_BYTES + 1
        )]
    );
    assert!(Template::compile(&"x".repeat(MAX_SOURCE_BYTES), TemplateMode::Html, PATH).is_ok());

    // Nesting: 16 blocks are fine, 17 are not (and thousands do not overflow the stack).
    let nested = |n: usize| format!("{}x{}", "{% if a %}".repeat(n), "{% endif %}".repeat(n));
    assert!(Template::compile(&nested(MAX_DEPTH), TemplateMode::Html, PATH).is_ok());
    assert_eq!(
        errors(&nested(MAX_DEPTH + 1), TemplateMode::Html),
        [format!(
            "{PATH}: line 1, column 161: blocks are nested more than 16 deep"
        )]
    );
    assert_eq!(errors(&nested(3000), TemplateMode::Html).len(), 1);
    let long_condition = format!("{{% if a{} %}}y{{% endif %}}", " and a".repeat(5000));
    assert_eq!(html(&long_condition).render(&json!({"a": 1})), "y");

    // Loops: at most 100 items, whatever the limit says.
    let many = json!({"items": (0..500).collect::<Vec<_>>()});
    let count = |source: &str| html(source).render(&many).matches('.').count();
    assert_eq!(count("{% for i in items %}.{% endfor %}"), MAX_LOOP_ITEMS);
    assert_eq!(
        count("{% for i in items limit: 1000 %}.{% endfor %}"),
        MAX_LOOP_ITEMS
    );
    assert_eq!(count("{% for i in items limit: 7 %}.{% endfor %}"), 7);

    // Steps: sixteen nested loops of 100 stop instead of running for ever.
    let loops = format!(
        "{}.{}",
        "{% for i in items %}".repeat(16),
        "{% endfor %}".repeat(16)
    );
    let rendered = html(&loops).render(&many);
    assert!(rendered.len() < 200_000, "{}", rendered.len());

    // Output: capped, cut in text, never inside an entity or a tag.
    let huge = json!({"items": (0..100).collect::<Vec<_>>(), "s": "<&>".repeat(2000)});
    let rendered =
        html("{% for i in items %}<p title=\"{{ i }}\">{{ s }}</p>{% endfor %}").render(&huge);
    assert!(rendered.len() <= MAX_OUTPUT_BYTES);
    assert!(
        rendered.len() > MAX_OUTPUT_BYTES - 100,
        "{}",
        rendered.len()
    );
    assert!(
        rendered.ends_with(';') || rendered.ends_with('>'),
        "{}",
        &rendered[rendered.len() - 20..]
    );
    let rendered = html("{% for i in items %}<p title=\"{{ s }}\">é</p>{% endfor %}").render(&huge);
    assert!(rendered.len() <= MAX_OUTPUT_BYTES);
    assert!(
        rendered.ends_with("</p>"),
        "cut after a whole element: {}",
        &rendered[rendered.len() - 20..]
    );
    let rendered = attribute("alt", "{% for i in items %}{{ s }}é{% endfor %}").render(&huge);
    assert!(rendered.len() <= MAX_OUTPUT_BYTES && rendered.len() > MAX_OUTPUT_BYTES - 4);
}

#[test]
fn static_templates_and_variables() {
    let plain = html("<h1>Welcome</h1>");
    assert!(plain.is_static());
    assert_eq!(plain.static_text().as_deref(), Some("<h1>Welcome</h1>"));
    assert!(plain.variables().is_empty());
    assert!(html("{% raw %}{{ x }}{% endraw %}").is_static());

    let dynamic = html(
        "{{ customer.firstName | default: profile.nick }}{% if cart.itemCount > 0 %}{% for item in cart.items %}{{ item.title }}{{ forloop.index }}{{ cart.items.0.title }}{% endfor %}{% endif %}{{ item.ghost }}",
    );
    assert!(!dynamic.is_static());
    assert_eq!(dynamic.static_text(), None);
    assert_eq!(
        dynamic.variables(),
        [
            "customer.firstName",
            "profile.nick",
            "cart.itemCount",
            "cart.items",
            "cart.items.0.title",
            "item.ghost"
        ]
    );
}
