"""Pulumi components of the gatewatch kit: one module per concern, one ComponentResource each."""

from collections.abc import Mapping

MANAGED_BY_TAG = {"managed-by": "gatewatch"}


def kit_tags(extra: Mapping[str, str]) -> dict[str, str]:
    """Tags for every resource the kit creates: who manages it, then the stack's own tags."""
    return {**MANAGED_BY_TAG, **extra}
