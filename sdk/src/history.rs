//! The customer's payment record, summarised from a [`History`].

use crate::History;

/// Share of the customer's paid invoices that were paid on time, from 0 to 1.
///
/// `None` when the customer has no paid invoices yet.
pub fn on_time_ratio(history: &History) -> Option<f64> {
    let on_time = f64::from(history.invoices_paid_on_time);
    let paid = on_time + f64::from(history.invoices_paid_late);
    (paid > 0.0).then(|| on_time / paid)
}

/// Average days late over the invoices the customer paid late.
///
/// `None` when the customer never paid late.
pub fn average_days_late(history: &History) -> Option<f64> {
    (history.invoices_paid_late > 0).then(|| f64::from(history.total_days_late) / f64::from(history.invoices_paid_late))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ContextBuilder;

    #[test]
    fn a_new_customer_has_no_record() {
        let ctx = ContextBuilder::new().build();
        assert_eq!(on_time_ratio(&ctx.history), None);
        assert_eq!(average_days_late(&ctx.history), None);
    }

    #[test]
    fn ratio_and_average_come_from_the_counts() {
        let ctx = ContextBuilder::new().paid_on_time(3).paid_late(1, 12).build();
        assert_eq!(on_time_ratio(&ctx.history), Some(0.75));
        assert_eq!(average_days_late(&ctx.history), Some(12.0));

        let ctx = ContextBuilder::new().paid_late(4, 10).build();
        assert_eq!(on_time_ratio(&ctx.history), Some(0.0));
        assert_eq!(average_days_late(&ctx.history), Some(2.5));
    }
}
