"""`gatewatch doctor` and `gatewatch triage`: argument parsing, output and exit codes.

Exit codes: 0 all good (doctor) / timeline printed (triage), 1 doctor found a problem or
triage could not read all it was asked to (the stack's workspace is not deployed, the --html
page could not be written), 2 bad input (config, arguments) or a missing login, named in one
line. Every flag is checked (gatewatch/live/inputs.py) before any cloud is called.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from gatewatch.aws import facts as aws_facts
from gatewatch.config.azure import GatewayConfig
from gatewatch.config.model import StackConfig
from gatewatch.config.stack_file import load_stack_file, locate
from gatewatch.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, BadInput
from gatewatch.live import inputs
from gatewatch.live.readers import AwsReads, AzureReads
from gatewatch.live.triage.model import Timeline


def _stack(args: argparse.Namespace) -> tuple[StackConfig, str]:
    path, stack = locate(args.stack, args.config_file)
    config, _raw = load_stack_file(path)
    return config, stack


def _common_subscription(gateways: Sequence[GatewayConfig]) -> str | None:
    subs = {g.id.subscription_id.lower() for g in gateways}
    return next(iter(subs)) if len(subs) == 1 else None


def _given_subscription(args: argparse.Namespace) -> str | None:
    """--subscription, else AZURE_SUBSCRIPTION_ID: a GUID when given (empty is refused)."""
    if args.subscription is not None:
        return inputs.subscription(args.subscription, "--subscription")
    env = os.environ.get("AZURE_SUBSCRIPTION_ID")
    return inputs.subscription(env, "AZURE_SUBSCRIPTION_ID") if env else None


def _subscription(args: argparse.Namespace, config: StackConfig) -> str | None:
    given = _given_subscription(args)
    if config.azure is None:
        return None
    if config.azure.workspace.existing_id is not None:
        return config.azure.workspace.existing_id.subscription_id
    sub = given
    if sub is None:
        sub = _common_subscription(config.azure.gateways)
    if sub is None:
        raise BadInput("--subscription: the workspace's subscription is not in the config and "
                       "the gateways span several; pass --subscription ID (the subscription "
                       "you run `pulumi up` in) or set AZURE_SUBSCRIPTION_ID")
    return sub


def _readers(args: argparse.Namespace, config: StackConfig
             ) -> tuple[AzureReads | None, Mapping[str, AwsReads] | None, str | None]:
    from gatewatch.azure import names as azure_names
    from gatewatch.live.aws import AwsReader
    from gatewatch.live.azure import AzureReader

    azure_reader: AzureReads | None = None
    aws_reader: Mapping[str, AwsReads] | None = None
    workspace_id = None
    if config.azure is not None:
        sub = _subscription(args, config)
        assert sub is not None
        azure = AzureReader(sub)
        azure.credential()  # LoginError now, before any output
        azure_reader = azure
        workspace_id = azure_names.workspace_id(config.azure, sub)
    if config.aws is not None:
        # One reader (one boto3 session) per (account, region) of the stack.
        readers = {scope.label: AwsReader(scope.region, scope.ec2_endpoint_url, scope.role_arn)
                   for scope in config.aws.scopes()}
        for reader in readers.values():
            reader.session()  # AwsLoginError now (a refused AssumeRole included)
        aws_reader = readers
    return azure_reader, aws_reader, workspace_id


def _guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; a refused or failed cloud call is one line, never a traceback.
    A missing, partial or refused login and refusals (the login lacks a role) are exit 2; an
    unreachable host (named) and other service errors 1."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
    )
    from botocore.exceptions import BotoCoreError, ClientError

    from gatewatch.aws.login import DENIED_CODES, AwsLoginError, login_problem, unreachable
    from gatewatch.live.azure import AzureUnreachable, LoginError, unreached_host

    def say(line: str, code: int) -> int:
        print(f"error: {line}", file=sys.stderr)
        return code

    try:
        return func(args)
    except BadInput as error:
        for line in error.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (LoginError, AwsLoginError) as error:
        return say(str(error), EXIT_BAD_INPUT)
    except AzureUnreachable as error:
        return say(str(error), EXIT_FAILED)
    except HttpResponseError as error:
        status = error.status_code
        if status is None and isinstance(error, ClientAuthenticationError):
            # a token refresh failed mid-run: no HTTP answer from ARM, the credential's text
            host = unreached_host(error)
            if host is not None:
                return say(f"Azure's login host {host} could not be reached: check the network "
                           "and HTTPS_PROXY", EXIT_FAILED)
            return say("Azure refused the credential mid-run: run `az login` again",
                       EXIT_BAD_INPUT)
        reason = getattr(error.error, "code", None) or error.reason or "error"
        return say(f"Azure answered {status} {reason}"
                   + (": the signed-in identity needs Reader on the gateways, the workspace and "
                      "the kit's resource group (`az login` as one that has it)"
                      if status in (401, 403) else ""),
                   EXIT_BAD_INPUT if status in (401, 403) else EXIT_FAILED)
    except ServiceRequestError as error:
        host = unreached_host(error) or "its endpoint"
        return say(f"Azure could not be reached at {host} ({type(error).__name__}): check the "
                   "network, HTTPS_PROXY and GATEWATCH_ARM_ENDPOINT / GATEWATCH_LOGS_ENDPOINT",
                   EXIT_FAILED)
    except ClientError as error:
        problem = login_problem(error)
        if problem is not None:
            return say(problem, EXIT_BAD_INPUT)
        code_ = error.response.get("Error", {}).get("Code", "error")
        operation = getattr(error, "operation_name", "a call")
        denied = code_ in DENIED_CODES
        return say(f"AWS refused {operation} ({code_})"
                   + ("; use a profile allowed to read EC2 VPN, CloudWatch Logs and CloudWatch "
                      "(AWS_PROFILE, `aws configure`)" if denied else ""),
                   EXIT_BAD_INPUT if denied else EXIT_FAILED)
    except BotoCoreError as error:
        problem = login_problem(error)
        if problem is not None:
            return say(problem, EXIT_BAD_INPUT)
        return say(unreachable(error) or f"AWS could not be read: {type(error).__name__}",
                   EXIT_FAILED)


def _doctor(args: argparse.Namespace) -> int:
    from gatewatch.live.doctor.report import render_json, render_text
    from gatewatch.live.doctor.run import run

    config, stack = _stack(args)
    if config.azure is None and config.aws is None:
        raise BadInput("gatewatch:azure / gatewatch:aws: the stack configures neither cloud; "
                       "nothing to check")
    azure_reader, aws_reader, workspace_id = _readers(args, config)
    report = run(config, stack, azure_reader=azure_reader, aws_reader=aws_reader,
                 workspace_id=workspace_id)
    if args.json:
        print(json.dumps(render_json(report), indent=2))
    else:
        print(render_text(report))
    return EXIT_OK if report.ok else EXIT_FAILED


def _workspace(azure_reader: AzureReads, workspace_id: str, config: StackConfig, stack: str,
               args: argparse.Namespace) -> str | None:
    """The workspace's customer id, or None (and one line on stderr naming the workspace and
    the fix) when the stack's workspace does not exist."""
    from gatewatch.live.azure import NotFound

    try:
        return azure_reader.workspace_customer_id(workspace_id)
    except NotFound:
        if config.azure is not None and config.azure.workspace.existing_id is not None:
            fix = ("check gatewatch:azure.workspace.existingId (the kit adopts that workspace; "
                   "it does not create it)")
        else:
            where = ("--subscription" if args.subscription is not None else
                     "AZURE_SUBSCRIPTION_ID" if os.environ.get("AZURE_SUBSCRIPTION_ID") else
                     "--subscription (default: the gateways' subscription)")
            fix = f"run `pulumi up --stack {stack}` to deploy it, or check {where}"
        print(f"error: the stack's Log Analytics workspace {workspace_id} does not exist: {fix}",
              file=sys.stderr)
        return None


def _azure_note(azure_reader: AzureReads, customer_id: str, timeline: Timeline,
                gateway_name: str, config: StackConfig) -> None:
    """A note when the Azure logs hold nothing for the tunnel (gatewatch/live/triage/hints.py);
    the timeline stands without it if listing what they hold fails."""
    from azure.core.exceptions import AzureError

    from gatewatch.live.triage.hints import absence_note

    names = [g.id.name for g in config.azure.gateways] if config.azure is not None else []
    try:
        note = absence_note(azure_reader, customer_id, timeline, gateway_name, names)
    except (AzureError, RuntimeError) as error:
        note = ("Azure: the logs hold no records of this tunnel here; listing the tunnels they "
                f"do hold failed ({type(error).__name__})")
    if note is not None:
        timeline.notes.append(note)


def _triage(args: argparse.Namespace) -> int:
    from gatewatch.live.triage.html import render_html
    from gatewatch.live.triage.run import triage
    from gatewatch.live.triage.text import render_text

    # Every flag first, before any cloud call (the config file is local).
    remote_ip = inputs.remote_ip(args.remote_ip)
    vpn = args.vpn_connection
    if vpn is not None and not aws_facts.AWS_VPN_ID_RE.fullmatch(vpn):
        raise BadInput(f"--vpn-connection: {args.vpn_connection!r} is not a VPN connection id "
                       "like vpn-0123456789abcdef0")
    html_path = inputs.html_path(args.html) if args.html is not None else None
    start, end = inputs.time_range(args.since, args.from_, args.to, dt.datetime.now(dt.UTC))
    config, stack = _stack(args)
    if config.azure is None and config.aws is None:
        raise BadInput("gatewatch:azure / gatewatch:aws: the stack configures neither cloud")
    gateway_name = inputs.gateway(args.gateway, config, stack)
    azure_reader, aws_reader, workspace_id = _readers(args, config)
    code = EXIT_OK
    customer_id = None
    if azure_reader is not None and workspace_id is not None:
        customer_id = _workspace(azure_reader, workspace_id, config, stack, args)
        if customer_id is None:
            # the one line is out; the AWS side, if any, is still worth reading
            code, azure_reader = EXIT_FAILED, None
            if aws_reader is None:
                return code
    timeline = triage(config, stack, remote_ip=remote_ip, start=start, end=end,
                      gateway_name=gateway_name, vpn_connection=args.vpn_connection,
                      azure_reader=azure_reader, aws_reader=aws_reader,
                      workspace_id=workspace_id)
    if azure_reader is not None and customer_id is not None:
        _azure_note(azure_reader, customer_id, timeline, gateway_name, config)
    elif config.azure is not None:
        timeline.notes.append(f"Azure: not read, workspace {workspace_id} not found; only the "
                              "AWS side is shown")
    page_error = None
    if html_path is not None:
        try:
            inputs.write_page(html_path, render_html(timeline))
        except OSError as error:
            page_error = f"{error.strerror or error}"
    if args.json:
        print(json.dumps(timeline.as_json(), indent=2))
    else:
        print(render_text(timeline))
        if html_path is not None and page_error is None:
            print(f"\nwrote {html_path}")
    if page_error is not None:
        print(f"error: --html: the page {html_path} could not be written ({page_error}); the "
              "timeline is printed above: pass another --html path to keep a page",
              file=sys.stderr)
        code = EXIT_FAILED
    return code


def _common(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--stack", help="stack name: reads Pulumi.NAME.yaml (default: dev)")
    which.add_argument("--config-file", help="any file shaped like Pulumi.<stack>.yaml")
    parser.add_argument("--subscription", help="the Azure subscription the kit's workspace is "
                        "in, when it is not adopted by id (default: AZURE_SUBSCRIPTION_ID, or "
                        "the gateways' subscription when they share one)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser("doctor", help="check the live estate against the stack config "
                                           "(read-only): OK / STALE / MISSING / WRONG per line")
    _common(doctor)
    doctor.set_defaults(func=lambda a: _guarded(_doctor, a))

    triage = sub.add_parser("triage", help="one tunnel's timeline from both clouds, with a "
                                           "verdict per drop (read-only)")
    _common(triage)
    triage.add_argument("--remote-ip", required=True,
                        help="the tunnel's on-premises/peer IP (Azure remoteIP_s; the AWS "
                             "tunnel's outside IP when AWS is the peer)")
    narrow = triage.add_mutually_exclusive_group()
    narrow.add_argument("--gateway", help="narrow Azure to this gateway (ARM id)")
    narrow.add_argument("--vpn-connection", help="narrow AWS to this connection (vpn-...)")
    triage.add_argument("--since", help="range ending now: 30m, 2h, 1d (max 30d)")
    triage.add_argument("--from", dest="from_", metavar="ISO",
                        help="range start, ISO 8601 (UTC if no offset)")
    triage.add_argument("--to", help="range end, ISO 8601 (UTC if no offset)")
    triage.add_argument("--html", help="also write a self-contained HTML page to this file")
    triage.set_defaults(func=lambda a: _guarded(_triage, a))
