//! Experiment arms: which arm of each experiment a plugin runs a customer is in.
//!
//! A plugin declares its experiments and their arms in `describe()`; the
//! host assigns each customer one arm per experiment, passes it in
//! `context.experiments` and records it on every notice
//! (`Notice::experiment_arms`), so reports can compare the arms.
//!
//! The assignment depends only on tenant, experiment and customer: the same
//! customer stays in the same arm on every invoice, across restarts and
//! plugin versions that keep the experiment's name and arms. Customers of
//! different tenants, and different experiments of one tenant, are assigned
//! independently.

use nudge_core::{CustomerId, TenantId, stable_hash};

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
