"""What the program declares for the stacks whose names the tests check: the committed example
stacks and the estate `doctor` and `triage` read in the live tests, each run once per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import yaml

from gatewatch.config.aws import AwsConfig
from gatewatch.config.azure import AzureConfig
from gatewatch.config.model import StackConfig, parse_config
from gatewatch.config.stack_file import load_stack_file
from gatewatch.offline.recording import Recording
from gatewatch.offline.runtime import run_program
from gatewatch.paths import PROJECT_ROOT
from tests.support.live_world import STACK as LIVE_STACK
from tests.support.live_world import STACK_YAML

STACKS = ("dev", "prod", LIVE_STACK)


@dataclass(frozen=True)
class Declared:
    """A stack's config and the program's resource graph for it (preview)."""

    config: StackConfig
    recording: Recording

    @property
    def azure(self) -> AzureConfig:
        assert self.config.azure is not None
        return self.config.azure

    @property
    def aws(self) -> AwsConfig:
        assert self.config.aws is not None
        return self.config.aws


@functools.cache
def declared(stack: str) -> Declared:
    """Run once per stack; callers must not change what they get back."""
    if stack == LIVE_STACK:
        raw = yaml.safe_load(STACK_YAML)["config"]
        config = parse_config(raw)
    else:
        config, raw = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    return Declared(config, run_program(raw, stack=stack, preview=True))


def names_of(recording: Recording, type_: str, key: str) -> set[str]:
    """The `key` input of every resource of `type_` (the name it is deployed under)."""
    return {r.inputs[key] for r in recording.by_type(type_)}
