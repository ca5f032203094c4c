"""Benchmark: xlsx-eval's batch convert against a straightforward baseline, side by side, in one run.

    python bench/run.py                 # both workloads of the batch issue
    python bench/run.py --quick         # 40 small workbooks and one 20,000-row ledger

For each workload it generates the workbooks (bench/generate.py, fixed seed), then times, in this one
process tree on this machine:

- xlsx-eval: `xlsx-eval convert DIR -o OUT --jobs N --quiet` (a child process, as a user runs it);
- the baseline: pandas.read_excel with the openpyxl engine for every sheet, the scores computed, an
  openpyxl load + fill + save of each workbook, pandas.to_excel for a summary (one process);
- the floors: python-calamine reading every cell of every sheet, and a package-level write (every zip
  member copied into a new package).

It prints the figures and their ratios, and the peak resident memory of xlsx-eval's workers. Figures
from one machine are only comparable within one run: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402


def baseline(paths: list[Path], outdir: Path) -> None:
    """What one would write first: pandas + openpyxl, every sheet read, every workbook loaded and saved."""
    import openpyxl
    import pandas as pd

    outdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in paths:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
        info = dict(zip(sheets["项目信息"][0], sheets["项目信息"][1]))
        rate = round(float(info["全年执行数"]) / float(info["全年预算数"]) * 100)
        indicators = sheets["绩效指标"].iloc[1:]
        scores = []
        for _, ind in indicators.iterrows():
            target = float(str(ind[4]).strip("≥%"))
            actual = float(str(ind[6]).strip("%"))
            scores.append(round(float(ind[7]) * min(actual / target, 1), 2))
        total = round(10 * min(rate, 100) / 100 + sum(scores), 2)
        wb = openpyxl.load_workbook(path)
        ws = wb["绩效指标"]
        for i, score in enumerate(scores, start=2):
            ws.cell(i, 9, score)
        wb.save(outdir / f"{path.stem}.scored.xlsx")
        rows.append({"单位名称": info["单位名称"], "项目名称": info["项目名称"], "总分": total})
    pd.DataFrame(rows).to_excel(outdir / "summary.xlsx", index=False)


def read_floor(paths: list[Path]) -> None:
    import python_calamine

    for path in paths:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()


def write_floor(paths: list[Path], outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(outdir / path.name, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, zin.read(info.filename))


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def xlsx_eval(folder: Path, outdir: Path, jobs: int) -> tuple[float, float]:
    """Wall seconds of the command, and the peak resident memory (MB) of its processes."""
    started = time.perf_counter()
    subprocess.run(
        ["xlsx-eval", "convert", str(folder), "-o", str(outdir), "--jobs", str(jobs), "--quiet"],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb / 1024


def startup() -> tuple[float, float]:
    """Median seconds of `xlsx-eval --help` and of `python -c "import typer"`, five runs each."""

    def median(cmd):
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    return median(["xlsx-eval", "--help"]), median([sys.executable, "-c", "import typer"])


def workload(label: str, root: Path, workbooks: int, rows: int, jobs: int) -> None:
    folder = root / f"in-{workbooks}x{rows}"
    paths = generate(folder, workbooks, rows)
    ours, peak = xlsx_eval(folder, root / f"out-{workbooks}x{rows}", jobs)
    base = timed(baseline, paths, root / f"base-{workbooks}x{rows}")
    read = timed(read_floor, paths)
    write = timed(write_floor, paths, root / f"floor-{workbooks}x{rows}")
    print(f"\n{label}: {workbooks} workbooks × {rows} ledger rows (xlsx-eval --jobs {jobs})")
    print(f"  xlsx-eval batch convert   {ours:8.2f} s   {ours / workbooks * 1000:8.1f} ms per workbook")
    print(f"  baseline (pandas+openpyxl){base:8.2f} s   {base / workbooks * 1000:8.1f} ms per workbook")
    print(f"  read floor (calamine)     {read:8.2f} s   {read / workbooks * 1000:8.1f} ms per workbook")
    print(f"  write floor (zip copy)    {write:8.2f} s   {write / workbooks * 1000:8.1f} ms per workbook")
    print(f"  baseline / xlsx-eval      {base / ours:8.1f} ×")
    print(f"  xlsx-eval / (read+write)  {ours / (read + write):8.1f} ×")
    print(f"  peak resident memory of xlsx-eval's processes so far: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a first look")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="xlsx-eval-bench-"))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}")
    try:
        small, big = ((40, 20), (1, 20_000)) if args.quick else ((200, 20), (5, 100_000))
        workload("small forms", root, *small, args.jobs)
        workload("big ledgers", root, *big, args.jobs)
        ours, typer_only = startup()
        print(
            f"\nstart-up: xlsx-eval --help {ours * 1000:.0f} ms, python -c 'import typer' {typer_only * 1000:.0f} ms"
            f" → {ours / typer_only:.1f} ×"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
