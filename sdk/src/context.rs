//! Facts about the invoice and customer, read from a [`Context`].

use crate::date::{date_at, days_between};
use crate::{Channel, Context, Date};

/// Today's date in the customer's time zone.
pub fn today_local(ctx: &Context) -> Date {
    date_at(ctx.now, ctx.customer.utc_offset_minutes)
}

/// The hour of the day (0 to 23) at `ctx.now` in the customer's time zone.
///
/// Useful to send right away when it is daytime for the customer, or to
/// wait for the morning otherwise; the host still moves any send out of the
/// tenant's quiet hours.
pub fn local_hour(ctx: &Context) -> u8 {
    let local_seconds = ctx.now.saturating_add(i64::from(ctx.customer.utc_offset_minutes) * 60);
    // rem_euclid(86_400) / 3_600 is in 0..24, so it always fits a u8.
    u8::try_from(local_seconds.rem_euclid(86_400) / 3_600).unwrap_or(0)
}

/// Days since the invoice fell due, counted in the customer's time zone.
///
/// Zero on the due date, negative before it: `-1` the day before.
pub fn days_overdue(ctx: &Context) -> i64 {
    days_between(ctx.invoice.due_on, today_local(ctx))
}

/// True if the host can deliver on `channel` to this customer.
///
/// The host already leaves opted-out channels out of `reachable-channels`;
/// checking them again costs nothing and keeps a policy honest in tests.
pub fn is_reachable(ctx: &Context, channel: Channel) -> bool {
    ctx.customer.reachable_channels.contains(&channel) && !ctx.customer.opted_out_channels.contains(&channel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::local_timestamp;
    use crate::testing::ContextBuilder;

    #[test]
    fn today_and_days_overdue_follow_the_customer_zone() {
        let due = Date::new(2024, 6, 3);
        // 2024-06-03T23:30:00Z: still the due date in London in winter,
        // already the next day in Berlin in summer.
        let now = local_timestamp(due, 23, 30, 0);
        let utc = ContextBuilder::new().now(now).due_on(due).build();
        assert_eq!(today_local(&utc), due);
        assert_eq!(days_overdue(&utc), 0);

        let berlin = ContextBuilder::new().now(now).time_zone("Europe/Berlin", 120).due_on(due).build();
        assert_eq!(today_local(&berlin), Date::new(2024, 6, 4));
        assert_eq!(days_overdue(&berlin), 1);
    }

    #[test]
    fn local_hour_follows_the_customer_zone() {
        let day = Date::new(2024, 6, 3);
        let at =
            |offset| ContextBuilder::new().now(local_timestamp(day, 23, 30, 0)).time_zone("Zone/X", offset).build();
        assert_eq!(local_hour(&at(0)), 23);
        assert_eq!(local_hour(&at(60)), 0);
        assert_eq!(local_hour(&at(14 * 60)), 13);
        assert_eq!(local_hour(&at(-11 * 60)), 12);
        assert_eq!(local_hour(&at(-(5 * 60 + 30))), 18);
        // Before 1970 the hour still counts from local midnight.
        let early = ContextBuilder::new().now(-1).build();
        assert_eq!(local_hour(&early), 23);
    }

    #[test]
    fn days_overdue_is_negative_before_the_due_date() {
        let ctx = ContextBuilder::new().days_overdue(-3).build();
        assert_eq!(days_overdue(&ctx), -3);
    }

    #[test]
    fn opted_out_channels_are_never_reachable() {
        let mut ctx = ContextBuilder::new().reachable(&[Channel::Email, Channel::Sms]).build();
        assert!(is_reachable(&ctx, Channel::Sms));
        assert!(!is_reachable(&ctx, Channel::Push));
        ctx.customer.opted_out_channels.push(Channel::Sms);
        assert!(!is_reachable(&ctx, Channel::Sms));
    }
}
