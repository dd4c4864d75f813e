"""Which channel a notice goes out on, and what to fall back to."""

from wit_world.imports import types

Channel = types.Channel


def is_reachable(ctx: types.Context, channel: types.Channel) -> bool:
    """True if the host can deliver on `channel` (opt-outs checked again)."""
    customer = ctx.customer
    return channel in customer.reachable_channels and channel not in customer.opted_out_channels


def choose(ctx: types.Context, tone: types.Tone, high_value: bool) -> tuple[types.Channel, list[types.Channel]] | None:
    """The channel for a notice in `tone` and its ordered fallbacks, or
    `None` if the customer cannot be reached at all.

    Urgent notices and high-value invoices go by text message when possible,
    with email as the fallback; everything else goes by email, with text
    message as the fallback. Without email, the customer's preferred channel
    (or else the first reachable one) is used, falling back to the others.
    """

    def only_if_reachable(channel: types.Channel) -> list[types.Channel]:
        return [channel] if is_reachable(ctx, channel) else []

    if (tone == types.Tone.URGENT or high_value) and is_reachable(ctx, Channel.SMS):
        return Channel.SMS, only_if_reachable(Channel.EMAIL)
    if is_reachable(ctx, Channel.EMAIL):
        return Channel.EMAIL, only_if_reachable(Channel.SMS)

    reachable = [channel for channel in ctx.customer.reachable_channels if is_reachable(ctx, channel)]
    preferred = ctx.customer.preferred_channel
    primary = preferred if preferred is not None and is_reachable(ctx, preferred) else next(iter(reachable), None)
    if primary is None:
        return None
    fallbacks: list[types.Channel] = []
    for channel in reachable:
        if channel != primary and channel not in fallbacks:
            fallbacks.append(channel)
    return primary, fallbacks
