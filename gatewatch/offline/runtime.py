"""Run the real `__main__.py` under Pulumi's mock runtime and record the resource graph.

The same program runs under the real engine; this harness only replaces the engine. A monitor
subclass reads each raw RegisterResourceRequest (parent, dependencies and propertyDependencies
are not in MockResourceArgs) into the one resource model (gatewatch.checks.model.Resource), and
the mocks (gatewatch.offline.mocks) answer the provider lookups the program makes. In preview
mode new resources get no id, so ids are unknown as in `pulumi preview`.
"""

from __future__ import annotations

import asyncio
import logging
import runpy
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func

from gatewatch.checks.model import SECRET, UNKNOWN, Resource, provider_urn
from gatewatch.offline.mocks import OfflineHints, OfflineMocks
from gatewatch.offline.recording import Recording
from gatewatch.paths import PROJECT_ROOT

PROGRAM = PROJECT_ROOT / "__main__.py"
PROJECT = "gatewatch"


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _plain(value: Any) -> Any:
    """Inputs as plain values: unknowns and secrets become the model's markers (as `pulumi
    preview` shows them, so a plan printed in CI leaks no webhook token), resource references
    their class."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return UNKNOWN
    if _is_secret(value):
        return SECRET
    if isinstance(value, dict):
        # A dynamic resource's pickled provider is code, not configuration.
        return {k: "<dynamic provider>" if k == "__provider" else _plain(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        # The wire format (protobuf Struct) carries every number as a double; the program
        # wrote an integer (retention 30, not 30.0), as `pulumi preview` shows it.
        return int(value)
    return value


def _secrets(inputs: dict[str, Any]) -> dict[str, Any]:
    """Top-level inputs that are secret, revealed (nested secrets are marked by their parent)."""
    return {k: _plain(v["value"]) for k, v in inputs.items() if _is_secret(v)}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps each registration's parent and dependencies."""

    def __init__(self, mocks: pulumi_mocks.Mocks, recording: Recording) -> None:
        super().__init__(mocks)
        self.recording = recording

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.recording.stack_urn = response.urn
        else:
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.recording.resources.append(
                Resource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    provider=provider_urn(request.provider),
                    custom=bool(request.custom),
                    inputs=_plain(inputs),
                    secrets=_secrets(inputs),
                    dependencies=sorted(set(request.dependencies)),
                    property_dependencies={
                        key: sorted(set(deps.urns))
                        for key, deps in sorted(request.propertyDependencies.items())
                    },
                )
            )
        return response


class _EchoesOfTheRaisedError(logging.Filter):
    """When a program fails with pulumi.RunError, every output that depended on the failed
    one holds the same exception; asyncio logs each unretrieved copy at garbage collection.
    run_program already raised the error once, so drop those echoes (and only those)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith("Future exception was never retrieved"):
            return True
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, pulumi.RunError)


logging.getLogger("asyncio").addFilter(_EchoesOfTheRaisedError())


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str = "dev",
    preview: bool = True,
    offline_vpn_types: Mapping[str, str] | None = None,
    program: Callable[[], None] | None = None,
    offline_lookups: Mapping[str, Mapping[str, Any]] | None = None,
) -> Recording:
    """Run `__main__.py` (or `program`) with `config` under mocks; return the recording.

    `config` is a stack file's `config:` map; structured values are passed as JSON strings,
    as the Pulumi CLI does.
    """
    import json

    recording = Recording(stack=stack, preview=preview)
    mocks = OfflineMocks(recording, offline_vpn_types or {}, offline_lookups,
                         OfflineHints.from_config(config))
    settings.reset_options()
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()
         if v is not None}
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_mocks(
            mocks, project=PROJECT, stack=stack, preview=preview,
            monitor=RecordingMonitor(mocks, recording),
        )
        body = program or _run_main
        # set_mocks registered the root Stack already; run the body as the engine would.
        loop.run_until_complete(run_pulumi_func(body))
    finally:
        # A failed program leaves outputs waiting on the failure; cancel them here rather
        # than let the interpreter destroy them pending (and say so) at exit.
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        settings.reset_options()
        # Close what the run opened (the loop's selector and its executor's threads): a test
        # process runs hundreds of programs and would otherwise hold thousands of descriptors.
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
    return recording


def _run_main() -> None:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    runpy.run_path(str(PROGRAM), run_name="__main__")
