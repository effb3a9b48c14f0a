"""scripts/python.sh: scripts/test and scripts/demo build their virtualenv with the newest supported Python.

Each test lays out stand-in interpreters (tiny shell scripts answering the
version query) on an otherwise empty PATH, the way a fresh machine might have
them, and asks the real ``pick_python`` which one it takes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fake_python(folder: Path, name: str, version: str | None) -> Path:
    """An executable answering ``-c …`` with ``version``; ``None`` fails like a pyenv shim of an unselected version."""
    path = folder / name
    body = f'echo "{version}"' if version else 'echo "pyenv: {name}: command not found" >&2; exit 127'
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """The PATH of the fake machine: only the two tools the helper runs besides bash builtins."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("sort", "ls"):
        real = shutil.which(tool)
        assert real is not None
        (folder / tool).symlink_to(real)
    return folder


def _pick(tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", "-c", f"source {ROOT / 'scripts' / 'python.sh'} && pick_python"],
        capture_output=True,
        text=True,
        env={
            "PATH": str(tmp_path / "bin"),
            "HOME": str(tmp_path / "home"),
            "PYENV_ROOT": str(tmp_path / "pyenv"),
            **(env or {}),
        },
        check=False,
    )


def test_newest_working_python_wins(tmp_path: Path, bin_dir: Path) -> None:
    _fake_python(bin_dir, "python3.13", None)  # a shim that does not run
    _fake_python(bin_dir, "python3.11", "3.11")
    wanted = _fake_python(bin_dir, "python3.12", "3.12")
    _fake_python(bin_dir, "python3", "3.10")
    proc = _pick(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(wanted)


def test_pyenv_install_is_found_beside_python3(tmp_path: Path, bin_dir: Path) -> None:
    _fake_python(bin_dir, "python3", "3.11")
    versions = tmp_path / "pyenv" / "versions"
    for release in ("3.13.0", "3.13.1"):
        (versions / release / "bin").mkdir(parents=True)
        _fake_python(versions / release / "bin", "python3.13", "3.13")
    proc = _pick(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(versions / "3.13.1" / "bin" / "python3.13")


def test_python3_is_taken_last_when_it_fits(tmp_path: Path, bin_dir: Path) -> None:
    python3 = _fake_python(bin_dir, "python3", "3.12")
    proc = _pick(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(python3)


def test_no_supported_python_says_which_work_in_one_line(tmp_path: Path, bin_dir: Path) -> None:
    _fake_python(bin_dir, "python3", "3.10")
    proc = _pick(tmp_path)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "3.11, 3.12 or 3.13" in lines[0] and "python3 here: 3.10" in lines[0] and "install" in lines[0]


def test_salesbot_python_of_an_unsupported_version_is_refused(tmp_path: Path, bin_dir: Path) -> None:
    _fake_python(bin_dir, "python3.13", "3.13")
    old = _fake_python(bin_dir, "python3.10", "3.10")
    proc = _pick(tmp_path, {"SALESBOT_PYTHON": str(old)})
    assert proc.returncode != 0
    assert "is Python 3.10" in proc.stderr
    chosen = _fake_python(bin_dir, "python3.11", "3.11")
    proc = _pick(tmp_path, {"SALESBOT_PYTHON": str(chosen)})
    assert proc.stdout.strip() == str(chosen)
