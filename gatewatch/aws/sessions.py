"""One boto3 session per (account, region): the caller's own credentials, or for another
account a role assumed with them (STS AssumeRole), refreshed before it expires.

This is what the AWS CLI and the SDKs do for a profile with `role_arn` and
`credential_source`/`source_profile` ("Use an IAM role in the AWS CLI",
https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html): botocore's
`AssumeRoleCredentialFetcher` calls AssumeRole with the source credentials and
`DeferredRefreshableCredentials` renews the session before its expiry (AssumeRole's default
duration is one hour, "AssumeRole", https://docs.aws.amazon.com/STS/latest/APIReference/
API_AssumeRole.html), so a rollout longer than an hour keeps working. The STS endpoint is
boto3's (AWS_ENDPOINT_URL_STS overrides it, as the tests do).
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from gatewatch.aws.login import AwsLoginError, sdk_text
from gatewatch.aws.names import ROLE_SESSION_NAME


def session_for(region: str, role_arn: str | None = None,
                base: boto3.Session | None = None) -> boto3.Session:
    """A session in `region`: the caller's (`base`, or the default chain), or with `role_arn`
    the role assumed from it. Nothing is called until a client first signs a request."""
    base = base or boto3.Session(region_name=region)
    if role_arn is None:
        return base
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=base.client, source_credentials=base.get_credentials(),
        role_arn=role_arn, extra_args={"RoleSessionName": ROLE_SESSION_NAME})
    assumed = botocore.session.Session()
    assumed._credentials = DeferredRefreshableCredentials(  # the SDK's own assume-role path
        refresh_using=fetcher.fetch_credentials, method="assume-role")
    return boto3.Session(botocore_session=assumed, region_name=region)


def check_role(session: boto3.Session, role_arn: str) -> None:
    """Assume the role now, so a refused AssumeRole is one line before any other call."""
    try:
        credentials: Any = session.get_credentials()
        credentials.get_frozen_credentials()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise AwsLoginError(
            f"could not assume {role_arn} ({code}: {sdk_text(exc)}); the role's trust policy "
            "must let these credentials call sts:AssumeRole (docs/aws-deploy-policy.json)"
        ) from None
    except BotoCoreError as exc:
        raise AwsLoginError(f"could not assume {role_arn}: {sdk_text(exc)}") from None
