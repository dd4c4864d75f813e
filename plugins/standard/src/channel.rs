//! Which channel a notice goes out on, and what to fall back to.

use nudge_sdk::{Channel, Context, Tone, is_reachable};

/// The channel for a notice in `tone` and its ordered fallbacks, or `None`
/// if the customer cannot be reached at all.
///
/// Urgent notices and high-value invoices go by text message when possible,
/// with email as the fallback; everything else goes by email, with text
/// message as the fallback. Without email, the customer's preferred channel
/// (or else the first reachable one) is used, falling back to the others.
pub fn choose(ctx: &Context, tone: Tone, high_value: bool) -> Option<(Channel, Vec<Channel>)> {
    let reachable = |channel| is_reachable(ctx, channel);
    let only_if_reachable = |channel| if reachable(channel) { vec![channel] } else { vec![] };

    if (tone == Tone::Urgent || high_value) && reachable(Channel::Sms) {
        return Some((Channel::Sms, only_if_reachable(Channel::Email)));
    }
    if reachable(Channel::Email) {
        return Some((Channel::Email, only_if_reachable(Channel::Sms)));
    }
    let primary = ctx
        .customer
        .preferred_channel
        .filter(|&channel| reachable(channel))
        .or_else(|| ctx.customer.reachable_channels.iter().copied().find(|&channel| reachable(channel)))?;
    let mut fallbacks: Vec<Channel> = Vec::new();
    for &channel in &ctx.customer.reachable_channels {
        if channel != primary && reachable(channel) && !fallbacks.contains(&channel) {
            fallbacks.push(channel);
        }
    }
    Some((primary, fallbacks))
}
