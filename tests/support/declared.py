"""What the program declares for the stacks whose names the tests check: the committed example
stacks and the estate `doctor` and `triage` read in the live tests, each run once per process."""

from __future__ import annotations

import functools

import yaml

from gatewatch.config.model import StackConfig, load_stack_file, parse_config
from gatewatch.offline.runtime import Recording, run_program
from gatewatch.paths import PROJECT_ROOT
from tests.support.live_world import STACK as LIVE_STACK
from tests.support.live_world import STACK_YAML

STACKS = ("dev", "prod", LIVE_STACK)


@functools.cache
def declared(stack: str) -> tuple[StackConfig, Recording]:
    """The stack's config and the program's resource graph for it (preview). Callers must not
    change what they get back."""
    if stack == LIVE_STACK:
        raw = yaml.safe_load(STACK_YAML)["config"]
        config = parse_config(raw)
    else:
        config, raw = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    return config, run_program(raw, stack=stack, preview=True)


def names_of(recording: Recording, type_: str, key: str) -> set[str]:
    """The `key` input of every resource of `type_` (the name it is deployed under)."""
    return {r.inputs[key] for r in recording.by_type(type_)}
