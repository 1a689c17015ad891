"""Where the kit's files are: the one definition of the project root and of the folders under it.

The kit runs from its checkout (`make setup` installs it editable), so the Pulumi program, the
alert and query catalogs, the stack files and the pinned Node tools are found from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
ALERTS_DIR: Final = PROJECT_ROOT / "alerts"
QUERIES_DIR: Final = PROJECT_ROOT / "queries"
AWS_QUERIES_DIR: Final = QUERIES_DIR / "aws"
API_SPECS_DIR: Final = PROJECT_ROOT / "vendor" / "azure-api-specs"
KQL_TOOL_DIR: Final = PROJECT_ROOT / "tools" / "kql-check"
STACK_SCHEMA_FILE: Final = PROJECT_ROOT / "schema" / "stack-config.schema.json"
PROJECT_FILE: Final = PROJECT_ROOT / "Pulumi.yaml"
# Vendored Microsoft tables read at run time (metric and operation lists, workbook schema).
AZURE_VENDOR_DIR: Final = Path(__file__).resolve().parent / "azure" / "vendor"


def stack_file(stack: str, root: Path = PROJECT_ROOT) -> Path:
    """`Pulumi.<stack>.yaml` in the project, as `pulumi` names a stack's config file."""
    return root / f"Pulumi.{stack}.yaml"
