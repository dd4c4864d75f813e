//! Logistic regression fitted online: one stochastic gradient step per
//! example, with weights averaged over the steps (Polyak–Ruppert averaging)
//! and an L2 pull towards the prior weights.

use super::features::{FEATURES, Features};

/// Step size of the first example; step `t` is `ETA0 / sqrt(1 + t / ETA_HALF_LIFE)`.
pub const ETA0: f64 = 0.5;
/// Examples over which the step size falls by a factor of about 1.4.
pub const ETA_HALF_LIFE: f64 = 100.0;
/// Strength of the pull towards the prior weights (L2 regularisation).
pub const L2: f64 = 1e-3;
/// What the model predicts before it has seen any example: 30% paid within
/// 7 days, for every customer and invoice.
pub const PRIOR_RATE: f64 = 0.3;

/// A logistic regression over [`Features`], updated one example at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// The weights of the latest step.
    weights: [f64; FEATURES],
    /// The average of the weights over every step: what predictions use.
    averaged: [f64; FEATURES],
    /// The prior weights (cold start), which the L2 term pulls towards.
    prior: [f64; FEATURES],
    /// Examples learned from.
    examples: u64,
}

impl Default for Logistic {
    fn default() -> Self {
        Self::new()
    }
}

impl Logistic {
    /// A model at its prior: every prediction is [`PRIOR_RATE`].
    pub fn new() -> Self {
        let mut prior = [0.0; FEATURES];
        prior[0] = logit(PRIOR_RATE);
        Self { weights: prior, averaged: prior, prior, examples: 0 }
    }

    /// Examples learned from so far.
    pub fn examples(&self) -> u64 {
        self.examples
    }

    /// The probability of the positive label for `x`, from the averaged weights.
    pub fn predict(&self, x: &Features) -> f64 {
        sigmoid(dot(&self.averaged, x))
    }

    /// Learns from one example: `label` true when the invoice was paid in time.
    pub fn learn(&mut self, x: &Features, label: bool) {
        let y = if label { 1.0 } else { 0.0 };
        let p = sigmoid(dot(&self.weights, x));
        let eta = ETA0 / (1.0 + self.examples as f64 / ETA_HALF_LIFE).sqrt();
        for i in 0..FEATURES {
            let gradient = (p - y) * x.0[i] + L2 * (self.weights[i] - self.prior[i]);
            self.weights[i] -= eta * gradient;
        }
        self.examples += 1;
        let n = self.examples as f64;
        for i in 0..FEATURES {
            self.averaged[i] += (self.weights[i] - self.averaged[i]) / n;
        }
    }

    /// The averaged weights, in the order of [`super::features::NAMES`].
    pub fn weights(&self) -> [f64; FEATURES] {
        self.averaged
    }
}

fn dot(w: &[f64; FEATURES], x: &Features) -> f64 {
    w.iter().zip(x.0.iter()).map(|(a, b)| a * b).sum()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(values: [f64; FEATURES]) -> Features {
        Features(values)
    }

    #[test]
    fn cold_start_predicts_the_prior_rate() {
        let model = Logistic::new();
        let p = model.predict(&x([1.0, 0.5, 0.2, 0.3, 0.1, 0.0, 0.5, 0.0, 0.0]));
        assert!((p - PRIOR_RATE).abs() < 1e-12, "{p}");
        assert_eq!(model.examples(), 0);
    }

    #[test]
    fn learns_a_separable_feature() {
        // Feature 1 high: paid; low: not paid.
        let mut model = Logistic::new();
        for i in 0..2000 {
            let paid = i % 2 == 0;
            let v = if paid { 0.9 } else { 0.1 };
            model.learn(&x([1.0, v, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), paid);
        }
        let high = model.predict(&x([1.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
        let low = model.predict(&x([1.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
        assert!(high > 0.8 && low < 0.2, "high {high}, low {low}");
        assert_eq!(model.examples(), 2000);
    }

    #[test]
    fn converges_to_the_base_rate_without_signal() {
        let mut model = Logistic::new();
        for i in 0..5000 {
            model.learn(&x([1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), i % 10 < 7);
        }
        let p = model.predict(&x([1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
        assert!((p - 0.7).abs() < 0.05, "{p}");
    }
}
