"""The publishable pack (`policies/build.py`): self-contained, installable outside the checkout,
and not hidden from `pulumi policy publish` by a .gitignore."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gatewatch.paths import PROJECT_ROOT as ROOT

BUILD = ROOT / "policies" / "build.py"
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+")


def _ctrl_c_ready() -> None:
    """In the child before exec: SIGINT at its default, as under a terminal. A shell running
    the test suite in the background ignores SIGINT, the ignore is inherited, and Python then
    installs no KeyboardInterrupt handler at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _build_module() -> dict[str, Any]:
    return runpy.run_path(str(BUILD))


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published") / "policy-pack"
    done = subprocess.run([sys.executable, str(BUILD), "--out", str(out)],
                          cwd=out.parent, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return out


def _requirements(pack: Path) -> list[str]:
    text = (pack / "requirements.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_the_pack_holds_the_wiring_the_wheel_and_requirements_only(pack: Path) -> None:
    [wheel] = pack.glob("gatewatch-*-py3-none-any.whl")
    assert sorted(p.name for p in pack.iterdir()) == sorted(
        ["PulumiPolicy.yaml", "__main__.py", "requirements.txt", wheel.name])
    for name in ("PulumiPolicy.yaml", "__main__.py"):
        assert (pack / name).read_bytes() == (ROOT / "policies" / name).read_bytes()
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("gatewatch/azure/facts.py", "gatewatch/aws/facts.py",
                   "gatewatch/policy/rules/__init__.py", "gatewatch/policy/pack.py",
                   "gatewatch/policy/resources.py", "gatewatch/azure/arm_ids.py",
                   "gatewatch/errors.py", "gatewatch/checks/model.py",
                   "gatewatch/policy/rules/azure/vpn_gateway_diagnostics.py"):
        assert module in names


def test_requirements_are_the_local_pins_and_the_bundled_wheel_by_relative_path(
    pack: Path,
) -> None:
    lines = _requirements(pack)
    [wheel] = pack.glob("gatewatch-*.whl")
    assert lines.count(f"./{wheel.name}") == 1
    pins = [line for line in lines if line != f"./{wheel.name}"]
    assert pins and all(PIN.fullmatch(line) for line in pins), pins
    assert {p.split("==")[0] for p in pins} == {"pulumi-policy", "pulumi"}
    assert not any(".." in line for line in lines)
    # One home for the pins: the same ones policies/requirements.txt installs locally.
    local = (ROOT / "policies" / "requirements.txt").read_text(encoding="utf-8")
    assert all(pin in local.splitlines() for pin in pins)


def test_the_kit_installs_from_the_pack_and_imports_outside_the_repository(
    pack: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    # No --system-site-packages: only what the pack brings is importable.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    [wheel_line] = [line for line in _requirements(pack) if line.endswith(".whl")]
    # As pip runs for the Pulumi CLI: from the pack's folder, the wheel by its relative path.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", "--quiet", "--disable-pip-version-check",
                    wheel_line], cwd=pack, env=env, check=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code = ("import gatewatch, gatewatch.azure.facts, gatewatch.policy.rules\n"
            "print(gatewatch.__file__)\n"
            "print(gatewatch.azure.facts.categories_for('PolicyBased'))\n")
    done = subprocess.run([str(python), "-c", code], cwd=outside, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    where, categories = done.stdout.splitlines()
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT)
    assert categories == "('GatewayDiagnosticLog', 'RouteDiagnosticLog')"


def test_local_requirements_keep_the_editable_checkout_install() -> None:
    lines = (ROOT / "policies" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-e .." in lines


@pytest.mark.parametrize("line", ["-e ../other", "../gatewatch", "git+https://x/y.git",
                                  "pulumi>=3"])
def test_a_requirement_that_cannot_travel_is_refused(line: str) -> None:
    module = _build_module()
    with pytest.raises(module["BuildError"], match="only those can be published"):
        module["published_requirements"](f"pulumi==3.272.0\n-e ..\n{line}\n", "k.whl")


def test_the_default_output_is_not_hidden_from_pulumi_policy_publish() -> None:
    """`pulumi policy publish` skips files any .gitignore at or above the pack matches; a
    gitignored dist/ would publish an empty pack."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a checkout")
    probe = ROOT / "dist" / "policy-pack" / "requirements.txt"
    done = subprocess.run([git, "check-ignore", "--no-index", "-q", str(probe)], cwd=ROOT,
                          check=False)
    assert done.returncode == 1, f"{probe.relative_to(ROOT)} is gitignored"


def _run_build(out: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BUILD), "--out", str(out)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def _earlier_build(out: Path) -> dict[str, bytes]:
    """A folder the build takes for an earlier pack (it has PulumiPolicy.yaml)."""
    out.mkdir(parents=True)
    (out / "PulumiPolicy.yaml").write_text("runtime: python\n", encoding="utf-8")
    (out / "earlier-marker.txt").write_text("the last good pack\n", encoding="utf-8")
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_the_build_refuses_an_ignored_output_folder_before_building(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("needs git")
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("dist/\n", encoding="utf-8")
    module = _build_module()
    built: list[Path] = []
    module["build"].__globals__["build_wheel"] = lambda *a: built.append(a[1])  # never reached
    with pytest.raises(module["OutError"], match="would leave them out of the pack"):
        module["build"](tmp_path / "dist" / "policy-pack")
    assert built == [] and not (tmp_path / "dist").exists()
    result = _run_build(tmp_path / "dist" / "policy-pack", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("case", ["a file", "under a file", "not a pack", "unwritable"])
def test_a_bad_out_exits_2_in_one_line_and_touches_nothing(case: str, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me\n", encoding="utf-8")
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8")
    out = {"a file": a_file, "under a file": a_file / "pack", "not a pack": other,
           "unwritable": Path("/proc/gatewatch-test/policy-pack")}[case]
    result = _run_build(out, tmp_path)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "--out" in line and "Traceback" not in line
    assert a_file.read_text(encoding="utf-8") == "keep me\n"
    assert [p.name for p in other.iterdir()] == ["cat.jpg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "photos"]


def test_a_rebuild_replaces_the_earlier_pack_whole_and_leaves_no_temporary_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "dist" / "policy-pack"
    _earlier_build(out)
    result = _run_build(out, tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert "earlier-marker.txt" not in names and "requirements.txt" in names
    assert [p.name for p in out.parent.iterdir()] == ["policy-pack"]
    assert oct(out.stat().st_mode & 0o777) != oct(0o700)  # a normal folder, not mkdtemp's


def test_ctrl_c_during_the_build_exits_130_and_keeps_the_last_good_pack(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "policy-pack"
    before = _earlier_build(out)
    proc = subprocess.Popen([sys.executable, str(BUILD), "--out", str(out)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_ctrl_c_ready)
    # Wait until it is working: the temporary folder exists and pip is building the wheel.
    deadline = time.monotonic() + 60
    while not list(out.parent.glob(".policy-pack.building-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == [f"interrupted (Ctrl-C); {out} was left as it was"]
    assert stdout == ""
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir()] == ["policy-pack"]
