"""Reading a stack file (`Pulumi.<stack>.yaml`): which file (`locate`), its YAML read safely,
its encrypted values, and its config parsed (`load_stack_file`).

YAML's silent surprises become config errors:
- The same key twice in one mapping (two `gatewatch:azure:` blocks) is an error naming both
  lines; PyYAML would keep the last one silently.
- Aliases are expanded at most MAX_EXPANDED_NODES nodes ("billion laughs"): the check walks
  the composed node graph once (memoised), before anything is built, so it fails fast.
- Syntax errors keep the parser's reason and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from gatewatch.config.model import StackConfig, parse_config
from gatewatch.errors import SECRET_PLACEHOLDER, BadInput, Problem
from gatewatch.paths import stack_file

# A stack file of a hundred gateways is a few thousand nodes; a million means an alias bomb.
MAX_EXPANDED_NODES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class StackLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and alias bombs."""

    where = "<stack file>"

    def compose_document(self) -> Node | None:
        node: Node | None = super().compose_document()
        if node is not None:
            _check_expansion(node, self.where)
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node.value, str):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                raise _Refused(Problem(
                    f"{self.where}:{line}",
                    f"the key '{key_node.value}' is written twice, on lines "
                    f"{first_line[key_node.value]} and {line}; YAML would keep only the last",
                    "merge the two into one"))
            first_line[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root: Node, where: str) -> None:
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise _Refused(Problem(f"{where}:{node.start_mark.line + 1}",
                                   "an alias refers to the value that contains it",
                                   "write the value out instead of the recursive alias"))
        busy.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        busy.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise _Refused(Problem(
                f"{where}:{node.start_mark.line + 1}",
                f"its aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                "write the values out, or use fewer nested aliases (a stack file needs few)"))
        sizes[key] = total
        return total

    size(root)


def load_yaml(text: str, where: str) -> Any:
    """Parse one YAML document; BadInput naming `where` (the file) on any problem."""
    loader = StackLoader(text)
    loader.where = where
    try:
        return loader.get_single_data()
    except _Refused as refused:
        raise BadInput([refused.problem]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = f": {exc.problem}" if exc.problem else ""
        context = f" ({exc.context})" if exc.context else ""
        raise BadInput([Problem(where, f"is not valid YAML{at}{reason}{context}",
                                   "fix the YAML syntax there")]) from None
    except yaml.YAMLError as exc:
        raise BadInput([Problem(where, f"is not valid YAML: {exc}",
                                   "fix the YAML syntax")]) from None
    finally:
        loader.dispose()


def locate(stack: str | None, config_file: str | None) -> tuple[Path, str]:
    """The stack file and stack name every command reads: `--config-file` (the stack named by
    `--stack`, else by the file's `Pulumi.<stack>.yaml` name), else the project's
    `Pulumi.<stack>.yaml` (default dev). An empty `--stack` or `--config-file` (`"$STACK"` with
    STACK unset) is refused, never read as dev or as the current directory."""
    if stack is not None and not stack.strip():
        raise BadInput([Problem("--stack", "is empty (an unset variable?)",
                                "pass a stack name, like --stack dev, or leave --stack out "
                                "for dev")])
    if config_file is not None and not config_file.strip():
        raise BadInput([Problem("--config-file", "is empty (an unset variable?)",
                                "pass the path of a Pulumi.<stack>.yaml file")])
    if config_file is not None:
        path = Path(config_file)
        return path, stack or path.stem.removeprefix("Pulumi.")
    name = "dev" if stack is None else stack
    return stack_file(name), name


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` map of a `Pulumi.<stack>.yaml` file, or BadInput naming the file.
    Encrypted values become SECRET_PLACEHOLDER (see `secret_paths`)."""
    where = str(path)
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"), where)
    except FileNotFoundError:
        raise BadInput([Problem(where, "file not found",
                                   "pass --stack NAME for Pulumi.NAME.yaml in the project, "
                                   "or --config-file PATH")]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        reason = "is not a readable UTF-8 text file" if isinstance(exc, UnicodeDecodeError) \
            else f"cannot be read ({exc.strerror})"
        raise BadInput([Problem(where, reason,
                                   "pass the path of a Pulumi.<stack>.yaml file")]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config", {}), Mapping):
        raise BadInput([Problem(where, "has no 'config:' mapping",
                                   "write the stack settings under a top-level 'config:' key")])
    return {key: _without_secrets(value) for key, value in (doc.get("config") or {}).items()}


def _is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _without_secrets(value: Any) -> Any:
    """Encrypted values (`{secure: v1:...}`, e.g. a webhook URL set with `pulumi config set
    --secret --path`) cannot be decrypted offline: they become SECRET_PLACEHOLDER. Text keys
    accept it unread (the plan shows the placeholder; `pulumi preview` checks the decrypted
    value); keys the plan must read (numbers, ids, regions) say so."""
    if _is_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, Mapping):
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def secret_paths(raw: Mapping[str, Any]) -> list[str]:
    """Key paths of the values a stack file stores encrypted (for the plan's note)."""
    out: list[str] = []

    def walk(value: Any, path: str) -> None:
        if value == SECRET_PLACEHOLDER:
            out.append(path)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if not path.endswith(":") else f"{path}{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for key, value in raw.items():
        walk(value, str(key))
    return out


def load_stack_file(path: Path) -> tuple[StackConfig, dict[str, Any]]:
    """Parse a stack file; return the model and the raw map (for the offline harness)."""
    raw = read_stack_file(path)
    return parse_config(raw), raw
