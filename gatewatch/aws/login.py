"""Why an AWS login failed or AWS could not be reached, in one line that says what to fix.

Used by `gatewatch doctor`, `gatewatch triage` and `gatewatch aws-tunnels`: every credential
error of botocore (the classes of botocore/exceptions.py, https://github.com/boto/botocore/
blob/develop/botocore/exceptions.py) and a service's refusal of the credentials themselves
becomes `AwsLoginError` (exit 2) naming the variable, profile or login command, plus at most
the first line of the SDK's own text. Where credentials come from and how the CLI spells the
fixes: "Configuration and credential file settings in the AWS CLI"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html), "Environment
variables to configure the AWS CLI" (https://docs.aws.amazon.com/cli/latest/userguide/
cli-configure-envvars.html), "Configuring IAM Identity Center authentication with the AWS CLI"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html). The error codes a
service answers for credentials it does not accept: EC2 "Error codes for the Amazon EC2 API"
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: AuthFailure,
RequestExpired, ...) and the JSON services' "Common Errors" (e.g. CloudWatch Logs,
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html:
UnrecognizedClientException, InvalidClientTokenId, ExpiredTokenException, ...).

Nothing here prints a key, a token or a secret: only variable names, profile names and paths.
"""

from __future__ import annotations

import os
import re
from typing import Any

from botocore import exceptions as bce

# A service's answer when it does not accept the credentials (not: "this identity may not").
REJECTED_CODES = frozenset({
    "AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature",
    "MissingAuthenticationToken", "MissingAuthenticationTokenException",
})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# Refusals of what the identity may do (the credential itself is fine): another role is the fix.
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
MAX_SDK_TEXT = 200
# urllib3 starts its messages with the connection object ("AWSHTTPConnection(host='h',
# port=443): Failed to establish a new connection: [Errno 111] Connection refused").
_URLLIB3_PREFIX = re.compile(r"^(<[\w.]+ object at 0x[0-9a-f]+>|\w+\([^)]*\)):\s*")


class AwsLoginError(Exception):
    """No usable AWS credential; the message names what to fix (and holds no secret)."""


def sdk_text(exc: BaseException) -> str:
    """The first line of the SDK's own message, shortened."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    text = " ".join(lines[0].split())
    return text if len(text) <= MAX_SDK_TEXT else text[:MAX_SDK_TEXT - 3] + "..."


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _credentials_file() -> str:
    return os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"


def _profile_source(profile: str) -> str:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        if os.environ.get(name) == profile:
            return name
    return "the profile"


def _configured_profiles() -> list[str]:
    import botocore.session

    try:
        session = botocore.session.Session()
        session.set_config_variable("profile", None)
        return sorted(session.available_profiles)
    except bce.BotoCoreError:
        return []


def _profile_of(session: Any) -> str | None:
    """The profile name boto3 is using (AWS_PROFILE, or None for the default chain)."""
    if session is None:
        return os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    try:
        profile = session.profile_name if hasattr(session, "profile_name") else session.profile
    except bce.BotoCoreError:
        return None
    return None if profile in (None, "default") else str(profile)


def _method_of(session: Any) -> str | None:
    """Where the credentials came from (botocore's provider METHOD: env, sso, ...)."""
    if session is None:
        return None
    try:
        credentials = session.get_credentials()
    except bce.BotoCoreError:
        return None
    return None if credentials is None else str(getattr(credentials, "method", "") or "")


def _with_profile(command: str, profile: str | None) -> str:
    return f"`{command} --profile {profile}`" if profile else f"`{command}`"


def _no_credentials(endpoint_hint: bool) -> str:
    if os.environ.get("AWS_SECRET_ACCESS_KEY") and not os.environ.get("AWS_ACCESS_KEY_ID"):
        # botocore's environment provider skips a secret without its key id, silently
        return ("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set "
                "AWS_ACCESS_KEY_ID too, or unset AWS_SECRET_ACCESS_KEY and use AWS_PROFILE")
    text = ("no AWS credentials found: run `aws configure` (or `aws sso login --profile "
            "NAME`), or set AWS_PROFILE to a configured profile, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY")
    if endpoint_hint:
        text += ("; against a local stand-in any values work, e.g. AWS_ACCESS_KEY_ID=test "
                 "AWS_SECRET_ACCESS_KEY=test")
    return text


def _partial(exc: bce.PartialCredentialsError, profile: str | None) -> str:
    provider = str(exc.kwargs.get("provider", ""))
    missing = str(exc.kwargs.get("cred_var", "")).strip("'")
    if provider == "env":
        return (f"AWS credentials in the environment are incomplete: {missing} is not set; "
                "set it too, or unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
                "AWS_SESSION_TOKEN and use AWS_PROFILE")
    name = profile or "default"
    if provider == "assume-role":
        return (f"AWS profile {name!r} sets role_arn without source_profile or "
                f"credential_source: add one of them to [profile {name}] in {_config_file()}")
    if provider in ("shared-credentials-file", "config-file"):
        where = _credentials_file() if provider == "shared-credentials-file" else \
            _config_file()
        return (f"AWS profile {name!r} in {where} has no {missing}: run "
                f"`aws configure --profile {name}`")
    return (f"AWS credentials from {provider or 'the configuration'} are incomplete "
            f"(missing {missing}): run {_with_profile('aws configure', profile)}")


def _profile_not_found(exc: bce.ProfileNotFound) -> str:
    name = str(exc.kwargs.get("profile", ""))
    known = _configured_profiles()
    listed = (f"profiles configured: {', '.join(known)}" if known else
              f"no profile is configured in {_config_file()} or {_credentials_file()}")
    return (f"AWS profile {name!r} (from {_profile_source(name)}) does not exist ({listed}): "
            f"run `aws configure --profile {name}` or `aws configure sso --profile {name}`, "
            "or set AWS_PROFILE to a configured profile")


def _retrieval(exc: bce.CredentialRetrievalError, profile: str | None) -> str:
    provider = str(exc.kwargs.get("provider", ""))
    name = profile or "default"
    if provider == "sso":
        return (f"the AWS SSO login of profile {name!r} could not be used: run "
                f"{_with_profile('aws sso login', profile)}")
    if provider == "custom-process":
        return (f"the credential_process of AWS profile {name!r} failed: run it by hand and "
                f"fix it in {_config_file()}")
    if provider.startswith("assume-role"):
        return (f"assuming the role of AWS profile {name!r} failed: check role_arn and its "
                f"source in {_config_file()} (or run "
                f"{_with_profile('aws sso login', profile)} if the source is an SSO profile)")
    if provider in ("container-role", "iam-role"):
        return (f"the {'container' if provider == 'container-role' else 'instance'} role's "
                "credentials could not be fetched: run where the role is attached, or set "
                "AWS_PROFILE to a configured profile")
    return (f"AWS credentials from {provider or 'the configuration'} could not be retrieved: "
            f"check AWS profile {name!r} in {_config_file()}")


def _rejected(code: str, method: str | None, profile: str | None) -> str:
    """A service did not accept the credentials (code from REJECTED_CODES / EXPIRED_CODES)."""
    expired = code in EXPIRED_CODES
    if method == "env":
        fix = ("get new temporary credentials and set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
               "and AWS_SESSION_TOKEN again" if expired else
               "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the pair must belong "
               "together and be active), or unset them and use AWS_PROFILE")
    elif method == "sso":
        fix = f"run {_with_profile('aws sso login', profile)}"
    elif method == "login":
        fix = f"run {_with_profile('aws login', profile)}"
    else:
        fix = (f"run {_with_profile('aws configure', profile)} with an active access key "
               f"(or {_with_profile('aws sso login', profile)} for an SSO profile)")
    what = ("AWS says the credentials have expired" if expired else
            "AWS does not accept the credentials")
    if code == "RequestExpired":  # EC2 also says this when the request's clock is off
        fix += "; if they are fresh, set this machine's clock right"
    return f"{what} ({code}): {fix}"


def login_problem(exc: BaseException | None, session: Any = None, *,
                  endpoint_hint: bool = False) -> str | None:
    """One line naming what to fix when `exc` is a credential problem, else None.

    `session` (boto3 or botocore) tells which profile and which credential source were used;
    `endpoint_hint` adds that a local stand-in takes any key (for an --endpoint-url run).
    """
    profile = _profile_of(session)
    if isinstance(exc, bce.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in REJECTED_CODES and code not in EXPIRED_CODES:
            return None
        line = _rejected(code, _method_of(session), profile)
    elif isinstance(exc, bce.NoCredentialsError):
        return _no_credentials(endpoint_hint)
    elif isinstance(exc, bce.PartialCredentialsError):
        return _partial(exc, profile)
    elif isinstance(exc, bce.ProfileNotFound):
        return _profile_not_found(exc)
    elif isinstance(exc, bce.SSOError | bce.TokenRetrievalError):
        line = (f"the AWS SSO session of profile {profile or 'default'!r} has expired or was "
                f"never started: run {_with_profile('aws sso login', profile)}")
    elif isinstance(exc, bce.LoginError):
        line = (f"the AWS login session of profile {profile or 'default'!r} has expired: "
                f"run {_with_profile('aws login', profile)}")
    elif isinstance(exc, bce.CredentialRetrievalError):
        line = _retrieval(exc, profile)
    elif isinstance(exc, bce.RefreshWithMFAUnsupportedError):
        line = (f"AWS profile {profile or 'default'!r} needs an MFA code, which this command "
                "cannot ask for: export temporary credentials first (`aws sts "
                "get-session-token --serial-number ARN --token-code CODE`)")
    elif isinstance(exc, bce.ConfigParseError):
        line = (f"the AWS config file {exc.kwargs.get('path', _config_file())} cannot be "
                "parsed: fix it, or point AWS_CONFIG_FILE at a valid one")
    elif isinstance(exc, bce.InvalidConfigError | bce.ConfigNotFound):
        line = (f"the AWS configuration of profile {profile or 'default'!r} is invalid: "
                f"fix it in {_config_file()}")
    else:
        return None
    return f"{line} (botocore: {sdk_text(exc)})"


def unreachable(exc: BaseException) -> str | None:
    """One line naming the endpoint when `exc` is a failure to reach AWS at all, else None."""
    if not isinstance(exc, bce.ConnectionError | bce.HTTPClientError):
        return None
    url = str(exc.kwargs.get("endpoint_url") or exc.kwargs.get("proxy_url") or "")
    if isinstance(exc, bce.ProxyConnectionError):
        return (f"the proxy {url} could not be reached: check HTTPS_PROXY / HTTP_PROXY "
                f"(botocore: {sdk_text(exc)})")
    what = {bce.ConnectTimeoutError: "did not answer the connection in time",
            bce.ReadTimeoutError: "accepted the connection but did not answer in time",
            bce.SSLError: "failed the TLS handshake"}.get(type(exc), "could not be reached")
    reason = exc.kwargs.get("error")
    detail = f" ({_URLLIB3_PREFIX.sub('', sdk_text(reason))})" if reason is not None else ""
    where = f"the AWS endpoint {url}" if url else "AWS"
    return (f"{where} {what}{detail}: check the network, HTTPS_PROXY, the region and any "
            "AWS_ENDPOINT_URL_* override")


def check_credentials(session: Any, *, endpoint_hint: bool = False) -> None:
    """Resolve (and, for SSO or an assumed role, refresh) the session's credentials now;
    AwsLoginError naming the fix when there are none or they cannot be had."""
    try:
        credentials = session.get_credentials()
        if credentials is None:
            raise bce.NoCredentialsError()
        credentials.get_frozen_credentials()  # a refreshable source fetches here, not later
    except bce.BotoCoreError as exc:
        problem = login_problem(exc, session, endpoint_hint=endpoint_hint)
        if problem is None:
            raise
        raise AwsLoginError(problem) from None
