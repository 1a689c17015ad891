"""docs/ci.md says what the workflows do: no stale sentence, and the set-up facts it must name."""

from __future__ import annotations

from gatewatch.paths import PROJECT_ROOT as ROOT
from tests.support.ci import AWS_POLICY
from tests.support.workflow_facts import PREVIEW_TOKEN

CI_DOC = ROOT / "docs" / "ci.md"


def test_ci_doc_says_what_the_workflows_do() -> None:
    doc = CI_DOC.read_text(encoding="utf-8")
    for stale in ("when the alerts land", "when AWS stacks land",
                  "the AWS step is skipped while `AWS_ROLE_ARN` is empty"):
        assert stale not in doc
    for needed in (PREVIEW_TOKEN, f"]({AWS_POLICY.name})", "stack_aws.py",
                   "pulumi config set --secret --path 'azure.alerts.webhooks[0].uri'",
                   "Role Based Access Control Administrator", "Managed Identity Contributor",
                   "Virtual Machine Contributor", "Microsoft.Maintenance/",
                   facts_reader_guid()):
        assert needed in doc, needed


def facts_reader_guid() -> str:
    from gatewatch.azure import facts as azure_facts

    return str(azure_facts.READER_ROLE_DEFINITION_GUID)
