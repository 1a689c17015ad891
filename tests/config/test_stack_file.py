"""Reading a stack file: YAML's surprises (duplicate keys, alias bombs, syntax) as errors naming
the file and line, encrypted values (accepted unread where the plan need not read them), and
which file a command reads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from gatewatch.cli import main
from gatewatch.config.model import parse_config
from gatewatch.config.stack_file import load_stack_file, locate, read_stack_file, secret_paths
from gatewatch.errors import SECRET_PLACEHOLDER, BadInput
from gatewatch.paths import PROJECT_ROOT
from tests.support.stacks import base_config, problems, with_azure


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def file_problems(path: Path) -> list[str]:
    with pytest.raises(BadInput) as info:
        read_stack_file(path)
    return [str(p) for p in info.value.problems]


def test_a_key_written_twice_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  gatewatch:azure:\n    location: japaneast\n"
                           "  aws:region: ap-northeast-1\n  gatewatch:azure:\n"
                           "    location: westeurope\n")
    [message] = file_problems(path)
    assert message.startswith(f"{path}:5: the key 'gatewatch:azure' is written twice, on lines "
                              "2 and 5")


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, "base: &b {a: 1}\nconfig:\n  x:\n    <<: *b\n    a: 2\n")
    assert read_stack_file(path) == {"x": {"a": 2}}


def test_an_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join([*lines, "config: {gatewatch:azure: *a8}"]) + "\n")
    started = time.monotonic()
    [message] = file_problems(path)
    assert time.monotonic() - started < 2
    assert "aliases expand to more than 100,000 values" in message


def test_a_recursive_alias_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "config: &c\n  gatewatch:azure: *c\n")
    [message] = file_problems(path)
    assert "refers to the value that contains it" in message


def test_a_yaml_syntax_error_keeps_the_parsers_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  gatewatch:azure: [unclosed\n")
    [message] = file_problems(path)
    assert message.startswith(f"{path}: is not valid YAML at line 3")
    assert "expected ',' or ']'" in message


# --- encrypted values --------------------------------------------------------------------------

def test_encrypted_email_is_accepted_and_the_plan_says_so(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    config = with_azure(alerts={"emails": [{"secure": "v1:AAAABBBB"}]})
    path = tmp_path / "Pulumi.s.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    raw = read_stack_file(path)
    parsed = parse_config(raw)
    assert parsed.azure and parsed.azure.alerts
    assert parsed.azure.alerts.emails == (SECRET_PLACEHOLDER,)
    assert main(["plan", "--config-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Encrypted values (Pulumi secrets, not decrypted offline):" in out
    assert "  gatewatch:azure.alerts.emails[0]\n" in out
    assert "v1:AAAABBBB" not in out


def test_an_encrypted_value_the_plan_must_read_says_so(tmp_path: Path) -> None:
    config = base_config()
    config["gatewatch:azure"]["workspace"]["retentionInDays"] = {"secure": "v1:AAAA"}
    config["gatewatch:azure"]["location"] = {"secure": "v1:BBBB"}
    path = tmp_path / "Pulumi.s.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    found = problems(read_stack_file(path))
    for key in ("gatewatch:azure.workspace.retentionInDays", "gatewatch:azure.location"):
        assert found[key].startswith("is stored encrypted (a Pulumi secret), and the offline "
                                     "plan cannot decrypt a value it must read; store " + key)


def test_secret_paths_name_each_encrypted_value_by_its_key_path(tmp_path: Path) -> None:
    config = with_azure(alerts={"emails": ["a@example.com", {"secure": "v1:AAAA"}], "webhooks": [
        {"name": "teams", "uri": {"secure": "v1:BBBB"}}]})
    path = tmp_path / "Pulumi.s.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    assert secret_paths(read_stack_file(path)) == [
        "gatewatch:azure.alerts.emails[1]", "gatewatch:azure.alerts.webhooks[0].uri"]


# --- which file, and a file that is not a stack file --------------------------------------------

def test_config_file_names_the_stack_unless_stack_is_given() -> None:
    assert locate(None, "/tmp/x/Pulumi.ci.yaml") == (Path("/tmp/x/Pulumi.ci.yaml"), "ci")
    assert locate("prod", "stacks/anything.yaml") == (Path("stacks/anything.yaml"), "prod")


def test_without_config_file_the_projects_stack_file_is_read() -> None:
    assert locate(None, None) == (PROJECT_ROOT / "Pulumi.dev.yaml", "dev")
    assert locate("prod", None) == (PROJECT_ROOT / "Pulumi.prod.yaml", "prod")


def test_load_stack_file_returns_the_model_and_the_raw_map(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.l.yaml"
    path.write_text(yaml.safe_dump({"config": base_config()}), encoding="utf-8")
    config, raw = load_stack_file(path)
    assert raw == base_config()
    assert config == parse_config(base_config())


def test_an_empty_file_has_no_config(tmp_path: Path) -> None:
    assert read_stack_file(write(tmp_path, "")) == {}
    assert problems({})["gatewatch:azure"].startswith("missing; set gatewatch:azure and/or "
                                                      "gatewatch:aws in the stack file")


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "has no 'config:' mapping; write the stack settings under a top-level "
                   "'config:' key"),
    ("config: [a]\n", "has no 'config:' mapping; write the stack settings under a top-level "
                      "'config:' key"),
])
def test_a_file_without_a_config_mapping_says_so(tmp_path: Path, text: str, message: str
                                                 ) -> None:
    path = write(tmp_path, text)
    assert file_problems(path) == [f"{path}: {message}"]


def test_a_missing_file_or_a_folder_names_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "Pulumi.none.yaml"
    assert file_problems(missing) == [
        f"{missing}: file not found; pass --stack NAME for Pulumi.NAME.yaml in the project, or "
        "--config-file PATH"]
    assert file_problems(tmp_path) == [
        f"{tmp_path}: cannot be read (Is a directory); pass the path of a Pulumi.<stack>.yaml "
        "file"]
    binary = tmp_path / "Pulumi.bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00config")
    assert file_problems(binary) == [
        f"{binary}: is not a readable UTF-8 text file; pass the path of a Pulumi.<stack>.yaml "
        "file"]
