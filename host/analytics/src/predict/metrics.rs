//! How good a probability is: discrimination (AUC) and calibration
//! (reliability by decile, Brier score, expected calibration error).

/// One decile of predictions, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Bin {
    /// Predictions in the decile.
    pub count: usize,
    /// Their mean predicted probability.
    pub predicted: f64,
    /// The share of them that were positive.
    pub observed: f64,
}

/// Discrimination and calibration of one set of predictions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Predictions scored.
    pub count: usize,
    /// Share of positive labels.
    pub base_rate: f64,
    /// Area under the ROC curve: the chance a random positive is ranked
    /// above a random negative (ties count half).
    pub auc: f64,
    /// Mean squared difference between prediction and label.
    pub brier: f64,
    /// Σ over deciles of (decile size / count) × |predicted − observed|.
    pub ece: f64,
    /// Reliability table: ten equal-count bins by predicted probability.
    pub deciles: Vec<Bin>,
}

impl Scores {
    /// Scores `(probability, label)` pairs; `None` when there are none.
    pub fn of(pairs: &[(f64, bool)]) -> Option<Scores> {
        if pairs.is_empty() {
            return None;
        }
        let n = pairs.len();
        let positives = pairs.iter().filter(|(_, y)| *y).count();
        let brier = pairs.iter().map(|(p, y)| (p - if *y { 1.0 } else { 0.0 }).powi(2)).sum::<f64>() / n as f64;
        let mut sorted = pairs.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let deciles: Vec<Bin> = (0..10)
            .map(|i| {
                let bin = &sorted[i * n / 10..(i + 1) * n / 10];
                let count = bin.len();
                let mean = |f: &dyn Fn(&(f64, bool)) -> f64| {
                    if count == 0 { 0.0 } else { bin.iter().map(f).sum::<f64>() / count as f64 }
                };
                Bin { count, predicted: mean(&|(p, _)| *p), observed: mean(&|(_, y)| if *y { 1.0 } else { 0.0 }) }
            })
            .collect();
        let ece = deciles.iter().map(|b| b.count as f64 / n as f64 * (b.predicted - b.observed).abs()).sum();
        Some(Scores { count: n, base_rate: positives as f64 / n as f64, auc: auc(&sorted), brier, ece, deciles })
    }
}

/// Mann–Whitney AUC over pairs sorted by probability, ties at average rank.
fn auc(sorted: &[(f64, bool)]) -> f64 {
    let positives = sorted.iter().filter(|(_, y)| *y).count() as f64;
    let negatives = sorted.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j share their average.
        let rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += rank * sorted[i..j].iter().filter(|(_, y)| *y).count() as f64;
        i = j;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_reversed_and_tied_rankings() {
        let perfect = [(0.1, false), (0.2, false), (0.8, true), (0.9, true)];
        assert_eq!(Scores::of(&perfect).unwrap().auc, 1.0);
        let reversed = [(0.1, true), (0.2, true), (0.8, false), (0.9, false)];
        assert_eq!(Scores::of(&reversed).unwrap().auc, 0.0);
        let tied = [(0.5, true), (0.5, false), (0.5, true), (0.5, false)];
        assert_eq!(Scores::of(&tied).unwrap().auc, 0.5);
        // One positive above two negatives and below one: 2 of 3 pairs.
        let mixed = [(0.1, false), (0.2, false), (0.3, true), (0.4, false)];
        assert!((Scores::of(&mixed).unwrap().auc - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn brier_ece_and_deciles() {
        // Every decile of 20 holds 5 positives: perfectly calibrated.
        let pairs: Vec<(f64, bool)> = (0..200).map(|i| (0.25, i % 4 == 0)).collect();
        let scores = Scores::of(&pairs).unwrap();
        assert_eq!(scores.count, 200);
        assert_eq!(scores.base_rate, 0.25);
        assert!((scores.brier - 0.1875).abs() < 1e-12);
        assert!(scores.ece < 1e-12, "{}", scores.ece);
        assert_eq!(scores.deciles.len(), 10);
        assert!(scores.deciles.iter().all(|b| b.count == 20));
        let overconfident: Vec<(f64, bool)> = (0..100).map(|i| (0.9, i % 2 == 0)).collect();
        assert!((Scores::of(&overconfident).unwrap().ece - 0.4).abs() < 1e-12);
        assert!(Scores::of(&[]).is_none());
    }
}
