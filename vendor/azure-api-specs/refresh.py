#!/usr/bin/env python3
"""Refresh the vendored Microsoft API definitions from a copy of the two source repositories.

    python vendor/azure-api-specs/refresh.py [SOURCE]

SOURCE (default ../shared/api-specs) has the layout of the team's api-specs folder:
arm-schemas/<apiVersion>/<Provider>.json + arm-schemas/common-definitions.json + arm-schemas/COMMIT
(github.com/Azure/azure-resource-manager-schemas, schemas/), and
bicep-types/<rp>/<ns>/<apiVersion>/types.json + bicep-types/COMMIT
(github.com/Azure/bicep-types-az, generated/). It copies, verbatim, every file manifest.json
names plus the ARM schema files those reference (`https://schema.management.azure.com/schemas/
<version>/<file>` refs), and writes SOURCE.json: each repository's commit and each file's sha256.
Add a type: add its entry to manifest.json (API version from the SDK docstring), run this.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOS = {
    "arm-schemas": "https://github.com/Azure/azure-resource-manager-schemas (schemas/)",
    "bicep-types": "https://github.com/Azure/bicep-types-az (generated/)",
}
_SCHEMA_REF = re.compile(r"https://schema\.management\.azure\.com/schemas/([0-9a-z-]+)/([A-Za-z.]+\.json)")


def wanted(manifest: dict, source: Path) -> set[str]:
    files = set(manifest["commonFiles"])
    for entry in manifest["types"].values():
        files.add(entry["armSchema"].split("#")[0])
        files.add(entry["bicepTypes"])
    queue = [f for f in files if f.startswith("arm-schemas/")]
    while queue:  # ARM schema files point at each other by URL: take those too
        text = (source / queue.pop()).read_text(encoding="utf-8")
        for version, name in set(_SCHEMA_REF.findall(text)):
            if version == "common":
                continue
            rel = f"arm-schemas/{version}/{name}"
            if rel not in files:
                files.add(rel)
                queue.append(rel)
    return files


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else HERE.parents[1] / ".." / "shared" / "api-specs"
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(wanted(manifest, source))
    for folder in REPOS:
        shutil.rmtree(HERE / folder, ignore_errors=True)
    record = {"repositories": {}, "files": {}}
    for folder, url in REPOS.items():
        commit = (source / folder / "COMMIT").read_text(encoding="utf-8").strip()
        record["repositories"][folder] = {"url": url, "commit": commit}
    for rel in files:
        target = HERE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, target)
        record["files"][rel] = hashlib.sha256(target.read_bytes()).hexdigest()
    (HERE / "SOURCE.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {len(files)} files from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
