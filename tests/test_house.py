"""The house keeps itself: lint, format and types are checked with the tests, so `pytest` (and .ci/run) fails
when any of them does. Settings are in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (pip install '.[test]')")
def test_ruff_finds_nothing():
    done = run("ruff", "check", "xlsx_eval", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (pip install '.[test]')")
def test_the_code_is_formatted():
    done = run("ruff", "format", "--check", "xlsx_eval", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_types_check():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install '.[test]')")
    done = run(sys.executable, "-m", "mypy", "xlsx_eval")
    assert done.returncode == 0, done.stdout + done.stderr
