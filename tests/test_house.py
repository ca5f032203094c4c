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


#: The pipeline's stages in the order data flows; a stage imports from the shared modules and from stages before
#: it, never from one after it (the shared modules, from no stage).
STAGES = ["read", "score", "write", "report", "pipeline", "batch", "mail", "web", "cli"]
SHARED = {"a1", "values", "findings", "model", "errors", "files", "layouts", "isolate"}
FRONT = {"__init__", "__main__"}  # the package's face: the library's and the command's entry points


def _stage(module: str) -> str:
    top = module.split(".")[0]
    return "cli" if top == "cli_text" else top


def test_imports_run_one_way():
    import ast

    package = ROOT / "xlsx_eval"
    wrong = []
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).with_suffix("").parts
        here = _stage(".".join(parts))
        if here in FRONT:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = list(parts[: len(parts) - node.level])
                targets = [
                    ".".join(base + ([node.module] if node.module else []) + ([a.name] if not node.module else []))
                    for a in node.names
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xlsx_eval."):
                targets = [node.module.removeprefix("xlsx_eval.")]
            else:
                continue
            for target in targets:
                there = _stage(target)
                if there == here or there in SHARED:
                    continue
                if here in SHARED or STAGES.index(there) > STAGES.index(here):
                    wrong.append(f"{'/'.join(parts)}.py imports {target}")
    assert not wrong, "\n".join(wrong)
