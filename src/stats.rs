//! The statistics behind experiment reports and bandits, written out so the Wasm carries no
//! numerics library. Each function names its method; the tests check them against values
//! computed independently (SciPy), with the exact call cited.

use crate::report::ArmTotals;

/// The standard normal CDF Φ(x), through the incomplete gamma function:
/// Φ(−|x|) = ½·erfc(|x|/√2) = ½·Q(½, x²/2) (Abramowitz & Stegun 7.1.2 and 6.5.17).
///
/// NOTE: this reuses [`chi_square_sf`]'s machinery instead of carrying a second set of
/// polynomial constants, and is accurate to about 1e-14 (checked against SciPy in the tests).
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let tail = 0.5 * gamma_q(0.5, x * x / 2.0);
    if x < 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// The upper tail 1 − Φ(x), computed directly so that tiny p-values keep their precision.
pub fn normal_sf(x: f64) -> f64 {
    normal_cdf(-x)
}

/// The standard normal quantile Φ⁻¹(p), by Peter Acklam's rational approximation (relative
/// error below 1.2e-9), refined by one Halley step on [`normal_cdf`] as Acklam recommends;
/// `p` outside (0, 1) gives ±∞.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let error = normal_cdf(x) - p;
    let u = error * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 coefficients, as in Press et al.,
/// Numerical Recipes 3rd ed. §6.1; about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..]
        .iter()
        .enumerate()
        .fold(G[0], |acc, (i, g)| acc + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularized upper incomplete gamma Q(a, x): a series below `a + 1`, Lentz's continued
/// fraction above (Numerical Recipes §6.2).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..500 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (1.0 - sum * front).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (front * h).clamp(0.0, 1.0)
    }
}

/// P(X > x) for a chi-square variable with `dof` degrees of freedom: Q(dof/2, x/2).
pub fn chi_square_sf(x: f64, dof: f64) -> f64 {
    gamma_q(dof / 2.0, x / 2.0)
}

/// A mean and the variance of that mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// The variance of the mean.
    pub variance: f64,
}

/// A conversion rate (binomial proportion) and its variance p(1 − p)/n.
pub fn proportion(successes: u64, trials: u64) -> Option<Estimate> {
    (trials > 0).then(|| {
        let p = successes as f64 / trials as f64;
        Estimate {
            mean: p,
            variance: p * (1.0 - p) / trials as f64,
        }
    })
}

/// A per-visitor mean from its sum and sum of squares, with the variance of the mean
/// (sample variance / n).
pub fn mean_of(sum: f64, sum_of_squares: f64, n: u64) -> Option<Estimate> {
    (n > 1).then(|| {
        let n = n as f64;
        let mean = sum / n;
        let sample_variance = ((sum_of_squares - n * mean * mean) / (n - 1.0)).max(0.0);
        Estimate {
            mean,
            variance: sample_variance / n,
        }
    })
}

/// A variant's relative lift over the control, with its interval and the two summaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lift {
    /// (variant − control) / control.
    pub relative: f64,
    /// The 95% interval of the relative lift: lift ± Φ⁻¹(0.975)·sd (delta method).
    pub interval: (f64, f64),
    /// P(variant beats control) = Φ(lift / sd): the normal posterior of the relative lift
    /// under a flat prior, as GrowthBook's Bayesian engine computes its "chance to win".
    pub chance_to_beat: f64,
    /// Two-sided p-value of z = lift / sd against a standard normal (a Welch test: each arm
    /// keeps its own variance). GrowthBook's frequentist engine takes the same z to a Student t
    /// with Welch–Satterthwaite degrees of freedom; from 100 visitors an arm the two differ in
    /// the third significant digit.
    pub p_value: f64,
}

/// The relative lift of `variant` over `control` by the delta method on the ratio of means
/// (as in GrowthBook's `frequentist_variance`): Var(v/c) ≈ Var(v)/c² + v²·Var(c)/c⁴. `None`
/// when the control's mean is not positive.
///
/// NOTE: interval, chance and p-value all come from the same (lift, sd), so they never
/// disagree: the interval excludes 0 exactly when p < 0.05, and then the chance to beat is
/// above 97.5% or below 2.5%.
pub fn lift(control: Estimate, variant: Estimate) -> Option<Lift> {
    if control.mean <= 0.0 {
        return None;
    }
    let c = control.mean;
    let v = variant.mean;
    let relative = v / c - 1.0;
    let variance = variant.variance / (c * c) + v * v * control.variance / (c * c * c * c);
    let sd = variance.sqrt();
    let (chance_to_beat, p_value) = if sd > 0.0 {
        let z = relative / sd;
        (normal_cdf(z), 2.0 * normal_sf(z.abs()))
    } else {
        // NOTE: no variance at all (every visitor alike): the data cannot tell them apart.
        (0.5, 1.0)
    };
    let half = normal_quantile(0.975) * sd;
    Some(Lift {
        relative,
        interval: (relative - half, relative + half),
        chance_to_beat,
        p_value,
    })
}

/// The sample-ratio-mismatch p-value: Pearson's chi-square goodness of fit of the observed
/// counts to the expected weights, with (arms − 1) degrees of freedom. A tiny p-value means
/// assignment or counting is broken. Visitors in an arm whose weight is 0 are a certain
/// mismatch (p = 0). `None` without visitors, or when counts and weights do not pair up.
pub fn sample_ratio_p_value(observed: &[u64], weights: &[f64]) -> Option<f64> {
    let total: u64 = observed.iter().sum();
    let weight_sum: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    if observed.len() != weights.len() || total == 0 || weight_sum <= 0.0 {
        return None;
    }
    let mut statistic = 0.0;
    let mut arms = 0u32;
    for (&o, &w) in observed.iter().zip(weights) {
        if w > 0.0 {
            let expected = total as f64 * w / weight_sum;
            statistic += (o as f64 - expected).powi(2) / expected;
            arms += 1;
        } else if o > 0 {
            return Some(0.0);
        }
    }
    (arms >= 2).then(|| chi_square_sf(statistic, f64::from(arms - 1)))
}

/// A small, seeded pseudo-random generator (SplitMix64): bandit draws are reproducible.
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        // Box–Muller.
        let u = self.uniform().max(f64::MIN_POSITIVE);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// A Gamma(shape, 1) draw (Marsaglia–Tsang; shape below 1 boosted).
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// A Beta(a, b) draw, from two Gamma draws.
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        x / (x + y)
    }
}

/// Thompson sampling for a bandit's next weights (Thompson 1933; Chapelle & Li 2011): each
/// arm's weight is the share of `draws` in which its Beta(1 + conversions, 1 + visitors −
/// conversions) posterior draw is the largest; then every arm is raised to at least `floor` (so
/// no arm stops learning) and the others scaled down, summing to 1. `None` until every arm has
/// `min_sample` visitors, or with fewer than two arms. Deterministic for a given `seed`.
pub fn thompson_weights(
    arms: &[ArmTotals],
    min_sample: u64,
    floor: f64,
    draws: u32,
    seed: u64,
) -> Option<Vec<f64>> {
    if arms.len() < 2 || arms.iter().any(|a| a.visitors < min_sample) {
        return None;
    }
    let mut random = Random::new(seed);
    let mut wins = vec![0u32; arms.len()];
    let draws = draws.max(1);
    for _ in 0..draws {
        let mut best = (0, f64::MIN);
        for (i, arm) in arms.iter().enumerate() {
            let conversions = arm.conversions.min(arm.visitors);
            let x = random.beta(
                1.0 + conversions as f64,
                1.0 + (arm.visitors - conversions) as f64,
            );
            if x > best.1 {
                best = (i, x);
            }
        }
        wins[best.0] += 1;
    }
    let raw: Vec<f64> = wins
        .iter()
        .map(|w| f64::from(*w) / f64::from(draws))
        .collect();
    Some(with_floor(&raw, floor))
}

/// Raises every share to at least `floor` (capped at an equal split) and scales the others
/// down in proportion, so the result sums to 1.
fn with_floor(raw: &[f64], floor: f64) -> Vec<f64> {
    let floor = floor.clamp(0.0, 1.0 / raw.len() as f64);
    // NOTE: lifting one arm to the floor shrinks the others, which can push another below it:
    // repeat until no arm above the floor falls under it (at most one pass per arm).
    let mut floored: Vec<bool> = raw.iter().map(|w| *w < floor).collect();
    loop {
        let free: f64 = raw
            .iter()
            .zip(&floored)
            .filter(|(_, f)| !**f)
            .map(|(w, _)| w)
            .sum();
        let left = 1.0 - floor * floored.iter().filter(|f| **f).count() as f64;
        let mut weights: Vec<f64> = raw
            .iter()
            .zip(&floored)
            .map(|(w, f)| match (*f, free > 0.0) {
                (true, _) => floor,
                (false, true) => w / free * left,
                (false, false) => left,
            })
            .collect();
        let newly: Vec<usize> = (0..weights.len())
            .filter(|i| !floored[*i] && weights[*i] < floor)
            .collect();
        if newly.is_empty() {
            // NOTE: the largest arm absorbs the rounding, so the weights sum to 1 to the last bit.
            let (largest, _) =
                weights.iter().enumerate().fold(
                    (0, f64::MIN),
                    |b, (i, w)| if *w > b.1 { (i, *w) } else { b },
                );
            let others: f64 = (0..weights.len())
                .filter(|i| *i != largest)
                .map(|i| weights[i])
                .sum();
            weights[largest] = 1.0 - others;
            return weights;
        }
        for i in newly {
            floored[i] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    // NOTE: expected values come from SciPy 1.17.1 and GrowthBook's own stats engine (the
    // `gbstats` 0.8.0 package), run in Python 3.11; each call is quoted beside its value.

    #[test]
    fn the_normal_distribution() {
        // scipy.stats.norm.cdf(1.96) = 0.9750021048517795; norm.cdf(-1.0) = 0.15865525393145707;
        // norm.cdf(3.2) = 0.9993128620620841; norm.cdf(0.3) = 0.6179114221889526
        for (x, expected) in [
            (1.96, 0.975_002_104_851_779_5),
            (-1.0, 0.158_655_253_931_457_07),
            (3.2, 0.999_312_862_062_084_1),
            (0.3, 0.617_911_422_188_952_6),
            (0.0, 0.5),
        ] {
            assert!(near(normal_cdf(x), expected, 1e-13), "Φ({x})");
        }
        // norm.sf(8.0) = 6.22096057427174e-16: the tail keeps its relative precision.
        let tail = normal_sf(8.0);
        assert!(near(tail / 6.220_960_574_271_74e-16, 1.0, 1e-9), "{tail}");
        // norm.ppf(0.975) = 1.959963984540054; norm.ppf(0.01) = -2.3263478740408408;
        // norm.ppf(0.6) = 0.2533471031357997; norm.ppf(1e-10) = -6.361340902404056
        for (p, expected) in [
            (0.975, 1.959_963_984_540_054),
            (0.01, -2.326_347_874_040_840_8),
            (0.6, 0.253_347_103_135_799_7),
            (1e-10, -6.361_340_902_404_056),
        ] {
            assert!(near(normal_quantile(p), expected, 1e-12), "Φ⁻¹({p})");
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
    }

    #[test]
    fn the_chi_square_distribution() {
        // scipy.stats.chi2.sf(3.841458820694124, 1) = 0.04999999999999989 (the textbook 5%
        // critical value); chi2.sf(10, 2) = 0.006737946999085468 (= e^-5);
        // chi2.sf(20, 3) = 0.00016974243555282632; chi2.sf(0.5, 4) = 0.9735009788392561;
        // chi2.sf(150, 120) = 0.03307348091130466
        for (x, dof, expected) in [
            (3.841_458_820_694_124, 1.0, 0.05),
            (10.0, 2.0, 0.006_737_946_999_085_468),
            (20.0, 3.0, 0.000_169_742_435_552_826_32),
            (0.5, 4.0, 0.973_500_978_839_256_1),
            (150.0, 120.0, 0.033_073_480_911_304_66),
        ] {
            let p = chi_square_sf(x, dof);
            assert!(near(p, expected, 1e-12), "chi2.sf({x}, {dof}) = {p}");
        }
    }

    /// Relative lift, interval, chance to beat and p-value, each within 1e-12.
    fn assert_lift(lift: Lift, expected: [f64; 5]) {
        let got = [
            lift.relative,
            lift.interval.0,
            lift.interval.1,
            lift.chance_to_beat,
            lift.p_value,
        ];
        for (got, expected) in got.iter().zip(expected) {
            assert!(near(*got, expected, 1e-12), "{lift:?} against {expected}");
        }
    }

    #[test]
    fn the_lift_of_a_better_conversion_rate() {
        // Control 100 / 1000, variant 130 / 1000. gbstats 0.8.0:
        //   a, b = ProportionStatistic(n=1000, sum=100), ProportionStatistic(n=1000, sum=130)
        //   t = TwoSidedTTest(a, b, FrequentistConfig(difference_type="relative"))
        //   t.point_estimate = 0.3, t.variance = 0.02652 (sd 0.16284962388657825)
        //   EffectBayesianABTest(a, b, EffectBayesianConfig(difference_type="relative"))
        //     .compute_result(): chance_to_win = 0.9672763417294536,
        //     ci = [-0.019179397713587232, 0.6191793977135871]
        // p = 2 * scipy.stats.norm.sf(0.3 / 0.16284962388657825) = 0.06544731654109266
        // (gbstats' t reference gives 0.06559733260262468).
        let control = proportion(100, 1000).expect("visitors");
        let variant = proportion(130, 1000).expect("visitors");
        let lift = lift(control, variant).expect("a control rate");
        assert_lift(
            lift,
            [
                0.3,
                -0.019_179_397_713_587_2,
                0.619_179_397_713_587_1,
                0.967_276_341_729_453_6,
                0.065_447_316_541_092_66,
            ],
        );
    }

    #[test]
    fn the_lift_of_revenue_per_visitor() {
        // Control: 1000 visitors, 100 of them spending 50 (sum 5000, squares 250000); variant:
        // 1000 visitors, 120 spending 55 (sum 6600, squares 363000). gbstats 0.8.0 with
        // SampleMeanStatistic(n=1000, sum=..., sum_squares=...) for each, as above:
        //   point_estimate = 0.32, variance = 0.028487687687687686, sd = 0.16878296030016682
        //   chance_to_win = 0.9710150837265789, ci = [-0.010808523392380864, 0.6508085233923806]
        // p = 2 * norm.sf(0.32 / 0.16878296030016682) = 0.05796983254684235
        // numpy: np.var(revenues, ddof=1) / 1000 = 0.22522522522522523 for the control.
        let control = mean_of(5000.0, 250_000.0, 1000).expect("visitors");
        let variant = mean_of(6600.0, 363_000.0, 1000).expect("visitors");
        assert!(near(control.variance, 0.225_225_225_225_225_23, 1e-12));
        let lift = lift(control, variant).expect("control revenue");
        assert_lift(
            lift,
            [
                0.32,
                -0.010_808_523_392_380_86,
                0.650_808_523_392_380_6,
                0.971_015_083_726_578_9,
                0.057_969_832_546_842_35,
            ],
        );
    }

    #[test]
    fn degenerate_inputs_give_no_lift_rather_than_nan() {
        assert_eq!(proportion(0, 0), None);
        assert_eq!(mean_of(5.0, 25.0, 1), None);
        let zero = proportion(0, 500).expect("visitors");
        let some = proportion(5, 500).expect("visitors");
        assert_eq!(lift(zero, some), None);
        let flat = lift(some, some).expect("a control rate");
        assert_eq!((flat.relative, flat.chance_to_beat), (0.0, 0.5));
    }

    #[test]
    fn revenue_means_use_the_sample_variance() {
        // Revenues 0, 10, 20 per visitor: mean 10, sample variance 100, variance of mean 100/3.
        let estimate = mean_of(30.0, 500.0, 3).expect("n > 1");
        assert!(near(estimate.mean, 10.0, 1e-12));
        assert!(near(estimate.variance, 100.0 / 3.0, 1e-9));
    }

    #[test]
    fn sample_ratio_mismatch() {
        // scipy.stats.chisquare([5200, 4800], [5000, 5000]) → statistic 16,
        // p = 6.334248366623988e-05
        let p = sample_ratio_p_value(&[5200, 4800], &[0.5, 0.5]).expect("counts");
        assert!(near(p, 6.334_248_366_623_988e-5, 1e-15), "{p}");
        // chisquare([3400, 3300, 3300], [10000 / 3] * 3) → statistic 2, p = 0.36787944117144245
        let p = sample_ratio_p_value(&[3400, 3300, 3300], &[1.0, 1.0, 1.0]).expect("counts");
        assert!(near(p, 0.367_879_441_171_442_45, 1e-12), "{p}");
        // Visitors in an arm given no traffic: certainly broken.
        assert_eq!(
            sample_ratio_p_value(&[500, 500, 3], &[0.5, 0.5, 0.0]),
            Some(0.0)
        );
        assert_eq!(sample_ratio_p_value(&[0, 0], &[0.5, 0.5]), None);
        assert_eq!(sample_ratio_p_value(&[5, 5], &[1.0]), None);
    }

    #[test]
    fn beta_draws_have_the_right_moments() {
        // Beta(3, 7): mean 0.3, variance ab/((a+b)²(a+b+1)) = 21/1100 = 0.01909.
        let mut random = Random::new(7);
        let n = 20_000;
        let draws: Vec<f64> = (0..n).map(|_| random.beta(3.0, 7.0)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let variance = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(near(mean, 0.3, 0.005), "{mean}");
        assert!(near(variance, 21.0 / 1100.0, 0.001), "{variance}");
    }

    fn totals(visitors: u64, conversions: u64) -> ArmTotals {
        ArmTotals {
            variant: 0,
            name: String::new(),
            visitors,
            conversions,
            revenue: 0.0,
            revenue_squares: 0.0,
        }
    }

    #[test]
    fn thompson_weights_are_floored_normalized_and_reproducible() {
        let arms = [totals(5000, 100), totals(5000, 100), totals(5000, 300)];
        let weights = thompson_weights(&arms, 100, 0.05, 2000, 9).expect("enough visitors");
        assert_eq!(weights, vec![0.05, 0.05, 0.9]);
        assert!(near(weights.iter().sum::<f64>(), 1.0, f64::EPSILON));
        let even = [totals(1000, 30), totals(1000, 30)];
        let first = thompson_weights(&even, 100, 0.05, 4000, 3).expect("enough visitors");
        assert_eq!(
            thompson_weights(&even, 100, 0.05, 4000, 3),
            Some(first.clone())
        );
        assert!(first.iter().all(|w| near(*w, 0.5, 0.05)), "{first:?}");
        assert_eq!(
            thompson_weights(&[totals(99, 1), totals(500, 10)], 100, 0.05, 100, 1),
            None
        );
        assert_eq!(
            thompson_weights(&[totals(500, 10)], 100, 0.05, 100, 1),
            None
        );
    }

    #[test]
    fn a_bandit_moves_traffic_to_the_better_arm() {
        // True conversion rates 2%, 2% and 5%: rounds of 200 visitors split by the current
        // weights, reallocating after each round once every arm has 300 visitors.
        const MIN_SAMPLE: u64 = 300;
        const FLOOR: f64 = 0.05;
        let rates = [0.02, 0.02, 0.05];
        let mut weights = vec![1.0 / 3.0; 3];
        let mut arms = [totals(0, 0), totals(0, 0), totals(0, 0)];
        let mut random = Random::new(42);
        let mut first_reallocation = None;
        for round in 0..60u64 {
            for _ in 0..200 {
                let u = random.uniform();
                let mut cumulative = 0.0;
                let arm = weights
                    .iter()
                    .position(|w| {
                        cumulative += w;
                        u < cumulative
                    })
                    .unwrap_or(2);
                arms[arm].visitors += 1;
                if random.uniform() < rates[arm] {
                    arms[arm].conversions += 1;
                }
            }
            let ready = arms.iter().all(|a| a.visitors >= MIN_SAMPLE);
            match thompson_weights(&arms, MIN_SAMPLE, FLOOR, 2000, round) {
                Some(new) => {
                    assert!(ready, "reallocated before {MIN_SAMPLE} visitors: {arms:?}");
                    first_reallocation.get_or_insert(round);
                    assert!(new.iter().all(|w| *w >= FLOOR), "{new:?}");
                    weights = new;
                }
                None => assert!(!ready, "round {round}"),
            }
        }
        eprintln!("bandit: first reallocation after round {first_reallocation:?}, weights {weights:?}, totals {:?}",
            arms.iter().map(|a| (a.visitors, a.conversions)).collect::<Vec<_>>());
        assert!(
            first_reallocation.is_some_and(|r| r >= 3),
            "{first_reallocation:?}"
        );
        assert!(weights[2] > 0.6, "{weights:?}");
        assert!(near(weights.iter().sum::<f64>(), 1.0, f64::EPSILON));
    }
}
