//! The statistics behind experiment verdicts: Wilson intervals and the
//! two-proportion z-test, with the normal distribution they need.

use serde::{Serialize, ser::SerializeStruct};

/// A count of successes among trials, such as invoices paid within 7 days
/// among invoices that got a notice. Serialised with its `value` (the share,
/// `null` with no trials).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    /// Successes.
    pub numerator: u64,
    /// Trials.
    pub denominator: u64,
}

impl Ratio {
    /// `numerator` of `denominator`.
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Self { numerator, denominator }
    }

    /// The share, or `None` with no trials.
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// Adds one trial, a success when `success`.
    pub fn add(&mut self, success: bool) {
        self.denominator += 1;
        self.numerator += u64::from(success);
    }

    /// The 95% Wilson score interval of the share, or `None` with no trials.
    pub fn wilson95(self) -> Option<(f64, f64)> {
        wilson(self.numerator, self.denominator, Z95)
    }
}

impl Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Ratio", 3)?;
        s.serialize_field("numerator", &self.numerator)?;
        s.serialize_field("denominator", &self.denominator)?;
        s.serialize_field("value", &self.value())?;
        s.end()
    }
}

/// The two-sided 95% quantile of the standard normal distribution.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval for `successes` of `trials` at quantile `z`.
pub fn wilson(successes: u64, trials: u64, z: f64) -> Option<(f64, f64)> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The pooled two-proportion z-test of `a` against `b`: the z statistic and
/// its two-sided p-value. `None` when either has no trials or the pooled
/// share is 0 or 1 (no variance, nothing to test).
pub fn two_proportion_test(a: Ratio, b: Ratio) -> Option<(f64, f64)> {
    let (pa, pb) = (a.value()?, b.value()?);
    let pooled = (a.numerator + b.numerator) as f64 / (a.denominator + b.denominator) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / a.denominator as f64 + 1.0 / b.denominator as f64)).sqrt();
    if se == 0.0 || !se.is_finite() {
        return None;
    }
    let z = (pa - pb) / se;
    Some((z, 2.0 * (1.0 - normal_cdf(z.abs()))))
}

/// The standard normal CDF, from the complementary error function
/// (W. J. Cody's rational approximation via `erfc`, accurate to ~1e-7 here).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' `erfcc`, fractional
/// error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn normal_cdf_matches_tables() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.959_964), 0.975, 1e-6));
        assert!(close(normal_cdf(-1.0), 0.158_655_25, 1e-6));
        assert!(close(normal_cdf(3.0), 0.998_650_1, 1e-6));
    }

    #[test]
    fn wilson_matches_a_worked_example() {
        // 81 of 263 (R: prop.test(81, 263, correct = FALSE)$conf.int).
        let (lo, hi) = wilson(81, 263, Z95).unwrap();
        assert!(close(lo, 0.2553, 1e-3) && close(hi, 0.3662, 1e-3), "{lo} {hi}");
        // Never outside [0, 1], even at the edges.
        let (lo, hi) = wilson(0, 10, Z95).unwrap();
        assert!(lo == 0.0 && close(hi, 0.2775, 1e-3), "{hi}");
        assert_eq!(wilson(0, 0, Z95), None);
    }

    #[test]
    fn the_z_test_matches_a_worked_example() {
        // 120/400 vs 90/400: pooled p = 0.2625, z = 2.4106, p = 0.0159.
        let (z, p) = two_proportion_test(Ratio::new(120, 400), Ratio::new(90, 400)).unwrap();
        assert!(close(z, 2.4106, 1e-3), "{z}");
        assert!(close(p, 0.0159, 1e-4), "{p}");
        // Equal shares: z = 0, p = 1.
        let (z, p) = two_proportion_test(Ratio::new(50, 100), Ratio::new(50, 100)).unwrap();
        assert!(close(z, 0.0, 1e-12) && close(p, 1.0, 1e-6));
        // Everyone paid in both arms: nothing to test.
        assert_eq!(two_proportion_test(Ratio::new(10, 10), Ratio::new(20, 20)), None);
    }
}
