//! Experiment arms: which arm of each experiment a plugin runs a customer is in.
//!
//! A plugin declares its experiments and their arms in `describe()`, and a
//! tenant can define its own (`TenantSettings::experiments`: arms with
//! weights, the step it applies to, a start and a stop); a tenant's
//! definition of an experiment the plugin declares replaces the plugin's.
//! The host assigns each customer one arm per running experiment, passes it
//! in `context.experiments` and records it on the notices of the step the
//! experiment applies to (`Notice::experiment_arms`), so reports can compare
//! the arms.
//!
//! The assignment depends only on tenant, experiment and customer: the same
//! customer stays in the same arm on every invoice, across restarts and
//! plugin versions that keep the experiment's name and arms. Customers of
//! different tenants, and different experiments of one tenant, are assigned
//! independently.

use jiff::Timestamp;
use nudge_core::{CustomerId, Experiment, TenantId, stable_hash};

/// An experiment running at some instant, as assignment needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// Its name.
    pub name: String,
    /// Its arms and their weights.
    pub arms: Vec<(String, u32)>,
    /// The step it applies to; `None` for every step.
    pub step: Option<String>,
}

/// The experiments running at `now`: the tenant's own that run then, and
/// those the plugin declares (equal weights, every step) that the tenant
/// does not define. A tenant's experiment that is not running also hides
/// the plugin's experiment of the same name.
pub fn running(tenant: &[Experiment], declared: &[(String, Vec<String>)], now: Timestamp) -> Vec<Running> {
    let mut out: Vec<Running> = tenant
        .iter()
        .filter(|e| e.runs_at(now))
        .map(|e| Running {
            name: e.name.clone(),
            arms: e.arms.iter().map(|a| (a.name.clone(), a.weight)).collect(),
            step: e.step.clone(),
        })
        .collect();
    for (name, arms) in declared {
        if !arms.is_empty() && !tenant.iter().any(|e| &e.name == name) {
            out.push(Running { name: name.clone(), arms: arms.iter().map(|a| (a.clone(), 1)).collect(), step: None });
        }
    }
    out
}

/// The arms of `assigned` recorded on a notice of `step`: all but those of
/// the tenant's experiments that apply to another step.
pub fn for_step(tenant: &[Experiment], assigned: &[(String, String)], step: &str) -> Vec<(String, String)> {
    assigned
        .iter()
        .filter(|(name, _)| {
            tenant.iter().find(|e| &e.name == name).and_then(|e| e.step.as_deref()).is_none_or(|s| s == step)
        })
        .cloned()
        .collect()
}

/// The arm of every running experiment for `customer` of `tenant`, as
/// (experiment, arm) pairs.
pub fn assign_running(tenant: &TenantId, customer: &CustomerId, running: &[Running]) -> Vec<(String, String)> {
    running
        .iter()
        .filter(|e| !e.arms.is_empty())
        .map(|e| {
            let weights: Vec<u32> = e.arms.iter().map(|(_, w)| *w).collect();
            (e.name.clone(), e.arms[weighted_index(tenant, customer, &e.name, &weights)].0.clone())
        })
        .collect()
}

/// The index of the arm of `experiment` for `customer` of `tenant`, each
/// arm taking customers in proportion to its weight. With equal weights it
/// is exactly [`arm_index`], so giving a plugin's experiment equal weights
/// moves nobody.
pub fn weighted_index(tenant: &TenantId, customer: &CustomerId, experiment: &str, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return 0;
    }
    let hash = mix(stable_hash(&[tenant.as_str(), experiment, customer.as_str()]));
    let point = ((u128::from(hash) * u128::from(total)) >> 64) as u64;
    let mut upto = 0u64;
    for (i, w) in weights.iter().enumerate() {
        upto += u64::from(*w);
        if point < upto {
            return i;
        }
    }
    weights.len() - 1
}

/// The arm of every experiment in `experiments` (name and arms, as a plugin
/// declares them) for `customer` of `tenant`, as (experiment, arm) pairs.
/// Experiments without arms are left out.
pub fn assign(
    tenant: &TenantId,
    customer: &CustomerId,
    experiments: &[(String, Vec<String>)],
) -> Vec<(String, String)> {
    experiments
        .iter()
        .filter(|(_, arms)| !arms.is_empty())
        .map(|(name, arms)| (name.clone(), arms[arm_index(tenant, customer, name, arms.len())].clone()))
        .collect()
}

/// The index, below `arms`, of the arm of `experiment` for `customer` of `tenant`.
///
/// FNV-1a alone is a poor source of arms: its low bits depend only on the
/// low bits of the input bytes, so with two arms every experiment of a
/// tenant would split the customers the same way. Its result is therefore
/// finalised (the SplitMix64 mixer) and reduced to the range by its high
/// bits, which is unbiased to within `arms / 2^64`.
pub fn arm_index(tenant: &TenantId, customer: &CustomerId, experiment: &str, arms: usize) -> usize {
    let hash = mix(stable_hash(&[tenant.as_str(), experiment, customer.as_str()]));
    ((u128::from(hash) * arms as u128) >> 64) as usize
}

/// SplitMix64's finaliser: every input bit affects every output bit.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<CustomerId> {
        (0..n).map(|i| CustomerId::new(format!("cus-{i:05}")).unwrap()).collect()
    }

    #[test]
    fn the_same_inputs_give_the_same_arm() {
        let tenant = TenantId::new("acme").unwrap();
        let experiments = vec![("timing".to_string(), vec!["control".to_string(), "early".to_string()])];
        for customer in ids(50) {
            assert_eq!(assign(&tenant, &customer, &experiments), assign(&tenant, &customer, &experiments));
        }
        // Pinned (computed independently in Python): a change of the
        // assignment would move the customers of running experiments.
        let customer = CustomerId::new("0379-NEVHP").unwrap();
        assert_eq!(arm_index(&tenant, &customer, "first-reminder-timing", 2), 1);
        assert_eq!(arm_index(&tenant, &customer, "first-reminder-timing", 3), 2);
    }

    #[test]
    fn experiments_without_arms_are_skipped_and_one_arm_is_everyone() {
        let tenant = TenantId::new("acme").unwrap();
        let experiments = vec![("empty".to_string(), vec![]), ("solo".to_string(), vec!["only".to_string()])];
        for customer in ids(20) {
            assert_eq!(assign(&tenant, &customer, &experiments), [("solo".to_string(), "only".to_string())]);
        }
    }

    #[test]
    fn equal_weights_assign_exactly_as_before_and_weights_set_the_shares() {
        let tenant = TenantId::new("acme").unwrap();
        let customers = ids(20_000);
        for customer in &customers {
            assert_eq!(
                weighted_index(&tenant, customer, "timing", &[5, 5, 5]),
                arm_index(&tenant, customer, "timing", 3)
            );
        }
        let mut counts = [0usize; 2];
        for customer in &customers {
            counts[weighted_index(&tenant, customer, "timing", &[90, 10])] += 1;
        }
        // 18,000 expected in the first arm; binomial sd ~42.
        assert!(counts[0].abs_diff(18_000) < 250, "{counts:?}");
    }

    #[test]
    fn the_tenants_definition_replaces_the_plugins_and_runs_only_in_its_window() {
        use nudge_core::Arm;
        let declared = vec![
            ("timing".to_string(), vec!["control".to_string(), "early".to_string()]),
            ("tone".to_string(), vec!["soft".to_string(), "firm".to_string()]),
        ];
        let tenant = vec![Experiment {
            name: "timing".into(),
            arms: vec![Arm { name: "control".into(), weight: 80 }, Arm { name: "early".into(), weight: 20 }],
            step: Some("overdue-1".into()),
            start: Some("2024-01-01T00:00:00Z".parse().unwrap()),
            stop: Some("2024-02-01T00:00:00Z".parse().unwrap()),
        }];
        let during = running(&tenant, &declared, "2024-01-15T00:00:00Z".parse().unwrap());
        assert_eq!(during.len(), 2);
        assert_eq!(during[0].arms, [("control".to_string(), 80), ("early".to_string(), 20)]);
        assert_eq!(during[0].step.as_deref(), Some("overdue-1"));
        assert_eq!(during[1].name, "tone");
        // Stopped: the plugin's declaration does not take over again.
        let after = running(&tenant, &declared, "2024-02-01T00:00:00Z".parse().unwrap());
        assert_eq!(after.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["tone"]);
    }

    #[test]
    fn arms_are_balanced_for_any_count_and_experiments_independent() {
        let tenant = TenantId::new("acme").unwrap();
        let customers = ids(20_000);
        for arms in 2..=5 {
            let mut counts = vec![0usize; arms];
            for customer in &customers {
                counts[arm_index(&tenant, customer, "timing", arms)] += 1;
            }
            let expected = customers.len() / arms;
            for count in counts {
                // Binomial sd is at most ~71 here; 5 sd either way.
                assert!(count.abs_diff(expected) < 360, "{arms} arms: {count} vs {expected}");
            }
        }
        // With two arms, plain FNV-1a modulo 2 would put every customer in the
        // same arm (or the opposite one) of both experiments.
        let agree =
            customers.iter().filter(|c| arm_index(&tenant, c, "timing", 2) == arm_index(&tenant, c, "tone", 2)).count();
        assert!(agree.abs_diff(10_000) < 360, "{agree} of 20000 agree");
    }
}
