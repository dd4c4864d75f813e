"""The standard reference policy for nudge, in Python.

One gentle reminder the day before the due date, then friendly, firm and
urgent ones 1, 7 and 14 days after it, each at 10:00 in the customer's time
zone; escalation to support once the invoice is 30 days overdue. Text
messages are used for urgent reminders and high-value invoices. The rules
are those of `plugins/standard` (see its README), decision for decision.
"""

from wit_world.imports import types

from . import channels, segment, steps
from .dates import date_at, days_between, days_overdue
from .settings import Settings

NAME = "standard"
VERSION = "1.0.0"


def describe() -> types.PolicyInfo:
    """What the policy says about itself."""
    return types.PolicyInfo(name=NAME, version=VERSION, experiments=[])


def decide(ctx: types.Context) -> types.Decision:
    """The decision for the invoice in `ctx`.

    Raises `Err(PolicyError("bad-config", ...))` when the tenant's
    configuration cannot be used.
    """
    settings = Settings.from_context(ctx)
    high_value = ctx.invoice.total.amount_minor >= settings.high_value_minor
    customer_segment = segment.classify(ctx, high_value)

    reason = stop_reason(ctx)
    if reason is not None:
        return types.Decision(customer_segment, types.Action_Stop(reason))
    overdue = days_overdue(ctx)
    if overdue >= settings.escalate_after_days:
        reason = f"{overdue} days overdue; escalating after {settings.escalate_after_days} days"
        return types.Decision(customer_segment, types.Action_Escalate(reason))

    nxt = steps.next_step(ctx, settings)
    if isinstance(nxt, steps.Wait):
        return types.Decision(customer_segment, types.Action_Wait(nxt.until))
    chosen = channels.choose(ctx, nxt.step.tone, high_value)
    if chosen is None:
        return types.Decision(customer_segment, types.Action_Escalate("no reachable channel"))
    channel, fallbacks = chosen
    # Days overdue on the day the notice goes out, as the customer will read it.
    send_day = date_at(nxt.send_at, ctx.customer.utc_offset_minutes)
    days_overdue_then = days_between(ctx.invoice.due_on, send_day)

    notice = types.Notify(
        send_at=nxt.send_at,
        channel=channel,
        fallbacks=fallbacks,
        tone=nxt.step.tone,
        template="",
        step=nxt.step.name,
        fields=[("days_overdue", str(days_overdue_then)), ("segment", customer_segment)],
    )
    return types.Decision(customer_segment, types.Action_Notify(notice))


_CLOSED = {
    types.InvoiceStatus.PAID: "paid",
    types.InvoiceStatus.VOID: "void",
    types.InvoiceStatus.UNCOLLECTIBLE: "uncollectible",
}


def stop_reason(ctx: types.Context) -> str | None:
    """Why no reminder may go out for this invoice any more, if so."""
    invoice = ctx.invoice
    if invoice.status in _CLOSED:
        return f"invoice is {_CLOSED[invoice.status]}"
    if invoice.amount_remaining.amount_minor <= 0:
        return "invoice is paid (nothing remaining)"
    if invoice.disputed:
        return "invoice is disputed"
    return None
