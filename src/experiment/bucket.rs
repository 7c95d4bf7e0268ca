//! GrowthBook's bucketing primitives, value for value: the same visitor lands in the same
//! variation here as in any GrowthBook SDK.

/// FNV-1a (32 bit) over UTF-16 code units.
///
/// NOTE: GrowthBook's JavaScript hashes `charCodeAt`, i.e. UTF-16 code units, so an id with
/// non-ASCII characters (é, 日本, an emoji's surrogate pair) must be hashed the same way to
/// land in the same bucket as in the browser or another SDK.
fn fnv1a32(text: &str) -> u32 {
    text.encode_utf16().fold(0x811c_9dc5_u32, |hash, unit| {
        (hash ^ u32::from(unit)).wrapping_mul(0x0100_0193)
    })
}

/// A number in [0, 1) from a seed and a value: version 1 (`(fnv(value + seed) % 1000) / 1000`)
/// or version 2 (`(fnv(fnv(seed + value) as decimal) % 10000) / 10000`, better distributed);
/// `None` for any other version.
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        1 => Some(f64::from(fnv1a32(&format!("{value}{seed}")) % 1000) / 1000.0),
        2 => {
            let first = fnv1a32(&format!("{seed}{value}"));
            Some(f64::from(fnv1a32(&first.to_string()) % 10000) / 10000.0)
        }
        _ => None,
    }
}

/// `n` equal weights (none for `n <= 0`).
pub fn equal_weights(n: i64) -> Vec<f64> {
    if n <= 0 {
        return Vec::new();
    }
    vec![1.0 / n as f64; n as usize]
}

/// The hash range of each variation: consecutive slices of [0, 1) sized by the weights, each
/// shortened to `coverage` of its weight. Coverage is clamped to [0, 1]; weights of the wrong
/// count, or not summing to 1 (±0.01), fall back to equal weights.
pub fn bucket_ranges(variations: usize, coverage: f64, weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    let coverage = coverage.clamp(0.0, 1.0);
    let equal = equal_weights(variations as i64);
    let weights = match weights {
        Some(w) if w.len() == variations => {
            let total: f64 = w.iter().sum();
            if (0.99..=1.01).contains(&total) {
                w.to_vec()
            } else {
                equal
            }
        }
        _ => equal,
    };
    let mut cumulative = 0.0;
    weights
        .iter()
        .map(|w| {
            let start = cumulative;
            cumulative += w;
            (start, start + coverage * w)
        })
        .collect()
}

/// The variation whose range holds `n`, if any (a visitor outside coverage is in none).
pub fn choose_variation(n: f64, ranges: &[(f64, f64)]) -> Option<usize> {
    ranges
        .iter()
        .position(|&(start, end)| n >= start && n < end)
}

/// A namespace: experiments sharing `id` with disjoint ranges never share a visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    /// The namespace's name.
    pub id: String,
    /// Start of this experiment's range, in [0, 1].
    pub start: f64,
    /// End of the range (exclusive).
    pub end: f64,
}

/// Whether the visitor (by hash value) falls in the experiment's part of the namespace.
pub fn in_namespace(hash_value: &str, namespace: &Namespace) -> bool {
    hash(&format!("__{}", namespace.id), hash_value, 1)
        .is_some_and(|n| n >= namespace.start && n < namespace.end)
}

/// GrowthBook's QA override: `?<key>=<variation>` in `url` forces that variation, when it is
/// one of the `variations`.
pub fn query_string_override(key: &str, url: &str, variations: usize) -> Option<usize> {
    let (_, search) = url.split_once('?')?;
    let search = search.split('#').next().unwrap_or_default();
    let value = search
        .split('&')
        .filter_map(|pair| {
            let mut parts = pair.splitn(2, '=');
            let name = parts.next()?;
            (name == key).then(|| parts.next().unwrap_or_default())
        })
        .next()?;
    let n = parse_int(value)?;
    (n >= 0 && (n as usize) < variations).then_some(n as usize)
}

/// JavaScript's `parseInt(text)`: optional whitespace and sign, then leading digits.
fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().ok().map(|n| sign * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_ids_hash_like_javascript() {
        // NOTE: expected values computed with node, hashing `charCodeAt` units with the shift
        // form of FNV-1a that GrowthBook's util.ts uses:
        // node -e 'const f=s=>{let h=0x811c9dc5;for(let i=0;i<s.length;i++){h^=s.charCodeAt(i);
        //   h+=(h<<1)+(h<<4)+(h<<7)+(h<<8)+(h<<24)}return h>>>0};
        //   for(const v of ["é","日本","😀"])console.log(v,(f(v+"s")%1000)/1000,(f(f("s"+v)+"")%10000)/10000)'
        let cases = [
            ("é", 1, 0.141),
            ("é", 2, 0.8605),
            ("日本", 1, 0.885),
            ("日本", 2, 0.0984),
            ("😀", 1, 0.001),
            ("😀", 2, 0.2801),
        ];
        for (value, version, expected) in cases {
            assert_eq!(
                hash("s", value, version),
                Some(expected),
                "{value} v{version}"
            );
        }
    }

    #[test]
    fn query_overrides_read_like_parse_int() {
        assert_eq!(query_string_override("t", "https://x/?t=1", 2), Some(1));
        assert_eq!(query_string_override("t", "https://x/?t=1abc", 2), Some(1));
        assert_eq!(query_string_override("t", "https://x/?t=2", 2), None);
        assert_eq!(query_string_override("t", "https://x/?t=-1", 2), None);
        assert_eq!(query_string_override("t", "https://x/?t=", 2), None);
        assert_eq!(query_string_override("t", "https://x/?u=1#t=1", 2), None);
    }
}
