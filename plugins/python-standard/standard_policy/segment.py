"""Which segment a customer falls in."""

from wit_world.imports import types


def classify(ctx: types.Context, high_value: bool) -> str:
    """`high-value`, `habitual-late`, `new` or `regular`: the first that applies."""
    on_time = ctx.history.invoices_paid_on_time
    late = ctx.history.invoices_paid_late
    if high_value:
        return "high-value"
    if late >= 2 and late > on_time:
        return "habitual-late"
    if on_time == 0 and late == 0:
        return "new"
    return "regular"
