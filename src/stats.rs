//! The statistics behind experiment reports and bandits, written out so the Wasm carries no
//! numerics library. Each function names its method; the tests check them against values
//! computed independently (SciPy), with the exact call cited.

/// The standard normal CDF Φ(x), from the complementary error function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// erfc(x) by W. J. Cody's rational Chebyshev approximations, as in Numerical Recipes' `erfcc`
/// (fractional error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The standard normal quantile Φ⁻¹(p), by Peter Acklam's algorithm (relative error below
/// 1.2e-9); `p` outside (0, 1) gives ±∞.
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
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms).
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

/// P(X > x) for a chi-square variable with `dof` degrees of freedom.
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
    /// The 95% interval of the relative lift (delta method).
    pub interval: (f64, f64),
    /// P(variant beats control): the normal posterior of the lift with a flat prior.
    pub chance_to_beat: f64,
    /// Two-sided p-value of the difference (Welch z-test).
    pub p_value: f64,
}

/// The relative lift of `variant` over `control` by the delta method on the ratio of means
/// (the method of GrowthBook's engines): Var(v/c) ≈ Var(v)/c² + v²·Var(c)/c⁴. `None` when the
/// control's mean is 0 or either side has no variance estimate.
pub fn lift(control: Estimate, variant: Estimate) -> Option<Lift> {
    if control.mean <= 0.0 {
        return None;
    }
    let c = control.mean;
    let v = variant.mean;
    let relative = v / c - 1.0;
    let variance = variant.variance / (c * c) + v * v * control.variance / (c * c * c * c);
    let sd = variance.sqrt();
    let z95 = normal_quantile(0.975);
    let difference_sd = (variant.variance + control.variance).sqrt();
    let (chance_to_beat, p_value) = if sd > 0.0 && difference_sd > 0.0 {
        let z = (v - c) / difference_sd;
        (normal_cdf(relative / sd), 2.0 * (1.0 - normal_cdf(z.abs())))
    } else {
        // NOTE: no variance at all (every visitor alike): the data cannot tell them apart.
        (0.5, 1.0)
    };
    Some(Lift {
        relative,
        interval: (relative - z95 * sd, relative + z95 * sd),
        chance_to_beat,
        p_value,
    })
}

/// The sample-ratio-mismatch p-value: chi-square goodness of fit of the observed counts to the
/// expected weights. A tiny p-value means assignment or counting is broken.
pub fn sample_ratio_p_value(observed: &[u64], weights: &[f64]) -> Option<f64> {
    let total: u64 = observed.iter().sum();
    let weight_sum: f64 = weights.iter().sum();
    if observed.len() < 2 || observed.len() != weights.len() || total == 0 || weight_sum <= 0.0 {
        return None;
    }
    let statistic: f64 = observed
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(o, w)| {
            let expected = total as f64 * w / weight_sum;
            (*o as f64 - expected).powi(2) / expected
        })
        .sum();
    Some(chi_square_sf(statistic, (observed.len() - 1) as f64))
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

/// Thompson sampling: each arm's new weight is the share of `draws` in which its
/// Beta(1 + conversions, 1 + visitors − conversions) draw is the best, then raised to at least
/// `floor` and renormalized. `None` until every arm has `min_sample` visitors.
pub fn thompson_weights(
    arms: &[(u64, u64)],
    min_sample: u64,
    floor: f64,
    draws: u32,
    seed: u64,
) -> Option<Vec<f64>> {
    if arms.len() < 2 || arms.iter().any(|(visitors, _)| *visitors < min_sample) {
        return None;
    }
    let mut random = Random::new(seed);
    let mut wins = vec![0u32; arms.len()];
    for _ in 0..draws.max(1) {
        let best = arms
            .iter()
            .map(|&(visitors, conversions)| {
                let conversions = conversions.min(visitors);
                random.beta(
                    1.0 + conversions as f64,
                    1.0 + (visitors - conversions) as f64,
                )
            })
            .enumerate()
            .fold(
                (0, f64::MIN),
                |best, (i, x)| if x > best.1 { (i, x) } else { best },
            );
        wins[best.0] += 1;
    }
    let total = f64::from(draws.max(1));
    let floor = floor.clamp(0.0, 1.0 / arms.len() as f64);
    // NOTE: arms at the floor keep exactly it; the rest share what is left in proportion.
    let raw: Vec<f64> = wins.iter().map(|w| f64::from(*w) / total).collect();
    let mut floored: Vec<bool> = raw.iter().map(|w| *w < floor).collect();
    loop {
        let free: f64 = raw
            .iter()
            .zip(&floored)
            .filter(|(_, f)| !**f)
            .map(|(w, _)| w)
            .sum();
        let left = 1.0 - floor * floored.iter().filter(|f| **f).count() as f64;
        let weights: Vec<f64> = raw
            .iter()
            .zip(&floored)
            .map(|(w, f)| {
                if *f {
                    floor
                } else if free > 0.0 {
                    w / free * left
                } else {
                    left
                }
            })
            .collect();
        let newly: Vec<usize> = (0..weights.len())
            .filter(|i| !floored[*i] && weights[*i] < floor)
            .collect();
        if newly.is_empty() {
            return Some(weights);
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

    #[test]
    fn the_normal_distribution() {
        // SciPy 1.17.1: scipy.stats.norm.cdf(1.96) = 0.9750021048517795; norm.cdf(-1) = 0.15865525393145707;
        // norm.cdf(3.2) = 0.9993128620620841
        assert!(near(normal_cdf(1.96), 0.975_002_104_851_779_5, 2e-7));
        assert!(near(normal_cdf(-1.0), 0.158_655_253_931_457_07, 2e-7));
        assert!(near(normal_cdf(3.2), 0.999_312_862_062_084_1, 2e-7));
        // scipy.stats.norm.ppf(0.975) = 1.959963984540054; norm.ppf(0.01) = -2.3263478740408408
        assert!(near(normal_quantile(0.975), 1.959_963_984_540_054, 1e-8));
        assert!(near(normal_quantile(0.01), -2.326_347_874_040_840_8, 1e-8));
    }

    #[test]
    fn the_chi_square_distribution() {
        // scipy.stats.chi2.sf(3.841458820694124, 1) = 0.05 (the textbook critical value);
        // chi2.sf(10, 2) = 0.006737946999085468 (= e^-5); chi2.sf(20, 3) = 0.00016974243555282632;
        // chi2.sf(0.5, 4) = 0.9735009788392561 (SciPy 1.17.1)
        assert!(near(chi_square_sf(3.841_458_820_694_124, 1.0), 0.05, 1e-9));
        assert!(near(
            chi_square_sf(10.0, 2.0),
            0.006_737_946_999_085_467,
            1e-12
        ));
        assert!(near(
            chi_square_sf(20.0, 3.0),
            0.000_169_742_435_552_826_32,
            1e-12
        ));
        assert!(near(chi_square_sf(0.5, 4.0), 0.973_500_978_839_256_1, 1e-9));
    }

    #[test]
    fn the_lift_of_a_better_variant() {
        // Control 100 / 1000, variant 130 / 1000. The delta method worked in Python with SciPy
        // 1.17.1: var_c = 0.1·0.9/1000, var_v = 0.13·0.87/1000,
        // Var(lift) = var_v/0.1² + 0.13²·var_c/0.1⁴ = 0.02652, sd = 0.16284962388657825;
        // interval 0.3 ∓ norm.ppf(0.975)·sd = (-0.019179397713587065, 0.6191793977135871);
        // chance = norm.cdf(0.3/sd) = 0.9672763417294536; z = 0.03/sqrt(var_v + var_c)
        // = 2.1050687930179994, p = 2·norm.sf(z) = 0.03528532025049282.
        let control = proportion(100, 1000).expect("visitors");
        let variant = proportion(130, 1000).expect("visitors");
        let lift = lift(control, variant).expect("a control rate");
        assert!(near(lift.relative, 0.3, 1e-12));
        assert!(
            near(lift.interval.0, -0.019_179_397_713_587_065, 1e-8),
            "{lift:?}"
        );
        assert!(
            near(lift.interval.1, 0.619_179_397_713_587_1, 1e-8),
            "{lift:?}"
        );
        assert!(
            near(lift.chance_to_beat, 0.967_276_341_729_453_6, 2e-7),
            "{lift:?}"
        );
        assert!(
            near(lift.p_value, 0.035_285_320_250_492_82, 2e-7),
            "{lift:?}"
        );
    }

    #[test]
    fn revenue_means_use_the_sample_variance() {
        // Revenues 0, 10, 20 per visitor: mean 10, sample variance 100, variance of mean 100/3.
        let estimate = mean_of(30.0, 500.0, 3).expect("n > 1");
        assert!(near(estimate.mean, 10.0, 1e-12));
        assert!(near(estimate.variance, 100.0 / 3.0, 1e-9));
        assert_eq!(mean_of(5.0, 25.0, 1), None);
    }

    #[test]
    fn sample_ratio_mismatch() {
        // scipy.stats.chisquare([5200, 4800], [5000, 5000]) → statistic 16, p = 6.334248366623988e-05
        let p = sample_ratio_p_value(&[5200, 4800], &[0.5, 0.5]).expect("counts");
        assert!(near(p, 6.334_248_366_623_988e-5, 1e-10), "{p}");
        let fine = sample_ratio_p_value(&[5010, 4990], &[0.5, 0.5]).expect("counts");
        assert!(fine > 0.5, "{fine}");
    }

    #[test]
    fn beta_draws_have_the_right_mean() {
        let mut random = Random::new(7);
        let n = 20_000;
        let mean: f64 = (0..n).map(|_| random.beta(3.0, 7.0)).sum::<f64>() / n as f64;
        assert!(near(mean, 0.3, 0.01), "{mean}");
    }

    #[test]
    fn a_bandit_moves_traffic_to_the_better_arm() {
        // True conversion rates 2%, 2% and 5%: simulate rounds of 1,000 visitors split by the
        // current weights, reallocating after each round.
        let rates = [0.02, 0.02, 0.05];
        let mut weights = vec![1.0 / 3.0; 3];
        let mut totals = [(0u64, 0u64); 3];
        let mut random = Random::new(42);
        let mut reallocations = 0;
        for round in 0..30 {
            for _ in 0..1000 {
                let u = random.uniform();
                let mut cumulative = 0.0;
                let arm = weights
                    .iter()
                    .position(|w| {
                        cumulative += w;
                        u < cumulative
                    })
                    .unwrap_or(2);
                totals[arm].0 += 1;
                if random.uniform() < rates[arm] {
                    totals[arm].1 += 1;
                }
            }
            match thompson_weights(&totals, 200, 0.05, 2000, round) {
                Some(new) => {
                    reallocations += 1;
                    weights = new;
                }
                None => assert!(totals.iter().any(|(v, _)| *v < 200), "min sample"),
            }
        }
        assert!(reallocations > 20);
        assert!(weights[2] > 0.8, "{weights:?}");
        assert!(weights.iter().all(|w| *w >= 0.05 - 1e-12), "{weights:?}");
        assert!(near(weights.iter().sum::<f64>(), 1.0, 1e-9));
        assert_eq!(
            thompson_weights(&[(10, 1), (500, 10)], 100, 0.05, 100, 1),
            None
        );
    }
}
