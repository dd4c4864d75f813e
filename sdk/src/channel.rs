//! Channels and tones: names, order, and which channel reaches a customer.

use std::fmt;

use crate::{Channel, Context, Tone, is_reachable};

impl Channel {
    /// Every channel, in the order of the WIT enum.
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Push, Channel::Webhook];

    /// The channel's name as the host spells it: `email`, `sms`, `push`, `webhook`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Webhook => "webhook",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Tone {
    /// Every tone, softest first (tones also compare in this order).
    pub const ALL: [Tone; 4] = [Tone::Gentle, Tone::Friendly, Tone::Firm, Tone::Urgent];

    /// The tone's name as the host spells it: `gentle`, `friendly`, `firm`, `urgent`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tone::Gentle => "gentle",
            Tone::Friendly => "friendly",
            Tone::Firm => "firm",
            Tone::Urgent => "urgent",
        }
    }

    /// One tone softer; `Gentle` stays `Gentle`.
    pub const fn softer(self) -> Tone {
        match self {
            Tone::Gentle | Tone::Friendly => Tone::Gentle,
            Tone::Firm => Tone::Friendly,
            Tone::Urgent => Tone::Firm,
        }
    }

    /// One tone firmer; `Urgent` stays `Urgent`.
    pub const fn firmer(self) -> Tone {
        match self {
            Tone::Gentle => Tone::Friendly,
            Tone::Friendly => Tone::Firm,
            Tone::Firm | Tone::Urgent => Tone::Urgent,
        }
    }
}

impl fmt::Display for Tone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The channels the host can deliver on for this customer, the preferred
/// one first (if reachable), then the others in the host's order.
pub fn reachable_channels(ctx: &Context) -> Vec<Channel> {
    let mut channels: Vec<Channel> = preferred_channel(ctx).into_iter().collect();
    for &channel in &ctx.customer.reachable_channels {
        if is_reachable(ctx, channel) && !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    channels
}

/// The customer's preferred channel, if the host can deliver on it.
///
/// `None` when the customer has no preference, or prefers a channel they
/// opted out of or have no contact for.
pub fn preferred_channel(ctx: &Context) -> Option<Channel> {
    ctx.customer.preferred_channel.filter(|&channel| is_reachable(ctx, channel))
}

/// The channel that reaches this customer best: the preferred one if the
/// host can deliver on it, else the first reachable one; `None` when the
/// customer cannot be reached at all.
pub fn preferred_reachable_channel(ctx: &Context) -> Option<Channel> {
    reachable_channels(ctx).first().copied()
}

/// The first reachable channel of `order` and the other reachable ones of
/// `order` as fallbacks, in that order; `None` if none of them is reachable.
///
/// Channels outside `order` are never used, and repeats count once, so the
/// result always passes the host's checks (reachable, not opted out, no
/// channel twice).
///
/// ```
/// use nudge_sdk::{Channel, channel_with_fallbacks, testing::ContextBuilder};
///
/// let ctx = ContextBuilder::new().reachable(&[Channel::Email, Channel::Sms]).build();
/// let plan = channel_with_fallbacks(&ctx, &[Channel::Push, Channel::Sms, Channel::Email]);
/// assert_eq!(plan, Some((Channel::Sms, vec![Channel::Email])));
/// ```
pub fn channel_with_fallbacks(ctx: &Context, order: &[Channel]) -> Option<(Channel, Vec<Channel>)> {
    let mut usable: Vec<Channel> = Vec::with_capacity(order.len());
    for &channel in order {
        if is_reachable(ctx, channel) && !usable.contains(&channel) {
            usable.push(channel);
        }
    }
    if usable.is_empty() {
        return None;
    }
    let primary = usable.remove(0);
    Some((primary, usable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ContextBuilder;

    #[test]
    fn names_match_the_host() {
        let names: Vec<String> = Channel::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["email", "sms", "push", "webhook"]);
        let names: Vec<&str> = Tone::ALL.iter().map(|tone| tone.as_str()).collect();
        assert_eq!(names, ["gentle", "friendly", "firm", "urgent"]);
    }

    #[test]
    fn tones_step_within_their_range() {
        assert!(Tone::ALL.windows(2).all(|pair| pair[0] < pair[1]), "tones compare softest first");
        assert_eq!(Tone::Firm.softer(), Tone::Friendly);
        assert_eq!(Tone::Gentle.softer(), Tone::Gentle);
        assert_eq!(Tone::Friendly.firmer(), Tone::Firm);
        assert_eq!(Tone::Urgent.firmer(), Tone::Urgent);
        for tone in Tone::ALL {
            assert!(tone.softer() <= tone && tone <= tone.firmer());
        }
    }

    #[test]
    fn the_preferred_channel_counts_only_when_reachable() {
        let both = ContextBuilder::new().reachable(&[Channel::Email, Channel::Sms]);
        let ctx = both.clone().build();
        assert_eq!(preferred_channel(&ctx), None);
        assert_eq!(preferred_reachable_channel(&ctx), Some(Channel::Email));
        assert_eq!(reachable_channels(&ctx), [Channel::Email, Channel::Sms]);

        let ctx = both.clone().preferred(Channel::Sms).build();
        assert_eq!(preferred_channel(&ctx), Some(Channel::Sms));
        assert_eq!(preferred_reachable_channel(&ctx), Some(Channel::Sms));
        assert_eq!(reachable_channels(&ctx), [Channel::Sms, Channel::Email]);

        // Preferred, but opted out since: not used.
        let ctx = both.clone().preferred(Channel::Sms).opted_out(&[Channel::Sms]).build();
        assert_eq!(preferred_channel(&ctx), None);
        assert_eq!(reachable_channels(&ctx), [Channel::Email]);

        // Preferred, but no contact for it.
        let ctx = both.preferred(Channel::Push).build();
        assert_eq!(preferred_reachable_channel(&ctx), Some(Channel::Email));

        let nobody = ContextBuilder::new().reachable(&[]).preferred(Channel::Email).build();
        assert_eq!(preferred_reachable_channel(&nobody), None);
        assert!(reachable_channels(&nobody).is_empty());
    }

    #[test]
    fn fallbacks_keep_the_order_and_skip_what_cannot_be_used() {
        let ctx = ContextBuilder::new()
            .reachable(&[Channel::Email, Channel::Sms, Channel::Push])
            .opted_out(&[Channel::Push])
            .build();
        let order = [Channel::Push, Channel::Webhook, Channel::Sms, Channel::Sms, Channel::Email];
        assert_eq!(channel_with_fallbacks(&ctx, &order), Some((Channel::Sms, vec![Channel::Email])));
        assert_eq!(channel_with_fallbacks(&ctx, &[Channel::Email]), Some((Channel::Email, vec![])));
        assert_eq!(channel_with_fallbacks(&ctx, &[Channel::Push, Channel::Webhook]), None);
        assert_eq!(channel_with_fallbacks(&ctx, &[]), None);
    }
}
