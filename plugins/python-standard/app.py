"""The componentize-py entry point: exports `decide` and `describe` of the
`nudge:policy/policy@0.1.0` world, implemented by `standard_policy`."""

import wit_world
from wit_world.imports import types

import standard_policy


class WitWorld(wit_world.WitWorld):
    """The world's exports. componentize-py instantiates this class once."""

    def decide(self, ctx: types.Context) -> types.Decision:
        """The decision for one invoice; raises `Err(PolicyError)` to decline."""
        return standard_policy.decide(ctx)

    def describe(self) -> types.PolicyInfo:
        """Name `standard`, version `1.0.0`, no experiments."""
        return standard_policy.describe()
