"""The sequence of reminders and which one comes next."""

from dataclasses import dataclass

from wit_world.imports import host, types

from .dates import add_days, days_overdue, local_timestamp
from .settings import Settings


@dataclass(frozen=True)
class Step:
    """One stage of the reminder sequence."""

    name: str
    """The step name the host records on the notice, e.g. `overdue-7`."""
    day: int
    """The step's day, counted from the due date."""
    tone: types.Tone
    """The tone of its notice."""


STEPS = (
    Step("pre-due", -1, types.Tone.GENTLE),
    Step("overdue-1", 1, types.Tone.FRIENDLY),
    Step("overdue-7", 7, types.Tone.FIRM),
    Step("overdue-14", 14, types.Tone.URGENT),
)


@dataclass(frozen=True)
class Notify:
    """Send `step`'s notice no earlier than `send_at`."""

    step: Step
    send_at: int


@dataclass(frozen=True)
class Wait:
    """Every step is done; ask again at `until` (the escalation day)."""

    until: int


def next_step(ctx: types.Context, settings: Settings) -> Notify | Wait:
    """The next step to send, given the notices already on the invoice.

    Only steps after the most advanced one already in the history (whatever
    its outcome) are candidates, and only those before the escalation day.
    Of the candidates whose day has come, the most advanced is sent now (or
    at the send hour today) and the others are skipped as superseded; if
    none has come, the next one is sent at the send hour of its day.
    """

    def at_send_hour(day: int) -> int:
        date = add_days(ctx.invoice.due_on, day)
        return local_timestamp(date, settings.send_hour, 0, ctx.customer.utc_offset_minutes)

    sent = {notice.step for notice in ctx.history.notices}
    done = [index for index, step in enumerate(STEPS) if step.name in sent]
    first_candidate = done[-1] + 1 if done else 0
    today = days_overdue(ctx)
    candidates = [step for step in STEPS[first_candidate:] if step.day < settings.escalate_after_days]
    arrived = [step for step in candidates if step.day <= today]
    upcoming = [step for step in candidates if step.day > today]

    if arrived:
        *superseded, step = arrived
        if superseded:
            names = ", ".join(step.name for step in superseded)
            host.log(host.Level.DEBUG, f"skipping superseded steps: {names}")
        return Notify(step, max(at_send_hour(step.day), ctx.now))
    if upcoming:
        return Notify(upcoming[0], at_send_hour(upcoming[0].day))
    return Wait(at_send_hour(settings.escalate_after_days))
