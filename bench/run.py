"""Benchmark: xlsx-eval's batch convert against a straightforward baseline, side by side, in one run.

    python bench/run.py                 # every workload: small forms, big ledgers with findings, national forms
    python bench/run.py --quick         # smaller ones, for a first look

Workloads: our workbook with 20 payments (small forms); with 100,000 payments of which 1% carry a finding
(duplicates, out-of-year dates: their cells get fills and notes); the national 项目支出绩效自评表 as .xlsx and as
SpreadsheetML (the budget platform's export, with its uncalculated formulas; the baseline reads a
LibreOffice-converted .xlsx of it, converted before the clock starts).

For each workload it generates the workbooks (bench/generate.py, fixed seed), then times, in this one
process tree on this machine:

- xlsx-eval: `xlsx-eval convert DIR -o OUT --jobs N --quiet` (a child process, as a user runs it);
- the baseline: pandas.read_excel with the openpyxl engine for every sheet, the scores computed, an
  openpyxl load + fill + save of each workbook, pandas.to_excel for a summary (one process);
- the floors: python-calamine reading every cell of every sheet, and a package-level write (every zip
  member copied into a new package).

It prints the figures and their ratios, with --jobs 1 and --jobs 2, the peak resident memory of the
largest xlsx-eval process of each run (a worker), and a scale line: forms per second per core, and what
that rate means for a province's 50,000 forms on a 16-core server. Figures from one machine are only
comparable within one run: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from generate import generate  # noqa: E402
from national_forms import SEED, write_spreadsheetml, write_xlsx  # noqa: E402  (forms built without our writers)


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


def baseline_national(paths: list[Path], outdir: Path) -> None:
    """The same first script for the national form: the sheet read with pandas, the indicator table found by its
    三级指标 header, each score computed, the workbook loaded, filled and saved with openpyxl."""
    import openpyxl
    import pandas as pd

    outdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in paths:
        grid = pd.read_excel(path, sheet_name=0, header=None, engine="openpyxl")
        cells = [[str(v) for v in row] for row in grid.itertuples(index=False)]
        header = next(r for r in range(len(cells)) if "三级指标" in cells[r])
        columns = list(cells[header])
        weight, actual, target = columns.index("分值"), columns.index("实际完成值"), columns.index("年度指标值")
        total = 0.0
        for r in range(header + 1, len(cells)):
            if "总分" in "".join(cells[r]).replace(" ", ""):
                break
            try:
                t, a = (float(str(cells[r][c]).strip("≥=%个套")) for c in (target, actual))
                total += float(cells[r][weight]) * min(a / t, 1) if t else float(cells[r][weight])
            except ValueError:
                total += float(cells[r][weight]) if cells[r][weight] not in ("nan", "") else 0
        wb = openpyxl.load_workbook(path)
        wb.active.cell(header + 2, weight + 2, round(total, 2))
        wb.save(outdir / f"{path.stem}.scored.xlsx")
        rows.append({"文件": path.name, "总分": round(total, 2)})
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
    """Wall seconds of the command, and the peak resident memory (MB) of its largest process (a worker): measured
    from a child that runs the command and reports its descendants' peak, so each run is measured on its own."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = ["xlsx-eval", "convert", str(folder), "-o", str(outdir), "--jobs", str(jobs), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, int(done.stdout.split()[-1]) / 1024


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


def workload(label: str, root: Path, workbooks: int, rows: int, findings: float = 0.0) -> float:
    """One workload of our workbook; returns xlsx-eval's seconds with --jobs 1."""
    folder = root / f"in-{workbooks}x{rows}-{findings}"
    paths = generate(folder, workbooks, rows, findings=findings)
    base = timed(baseline, paths, root / f"base-{workbooks}x{rows}-{findings}")
    what = f"{workbooks} workbooks × {rows} ledger rows" + (
        f", {findings:.0%} of them with a finding" if findings else ""
    )
    return compare(label, what, folder, paths, base, root)


def national_workload(root: Path, forms: int) -> float:
    """The national form, as .xlsx and as the platform's SpreadsheetML; returns xlsx-eval's seconds on the latter."""
    seconds = 0.0
    for kind, write in (("xlsx", write_xlsx), ("SpreadsheetML", write_spreadsheetml)):
        folder = root / f"national-{kind}"
        folder.mkdir(parents=True, exist_ok=True)
        paths = [write(folder / f"form{i:04d}.{'xlsx' if kind == 'xlsx' else 'xls'}", SEED) for i in range(forms)]
        readable = paths
        if kind == "SpreadsheetML":  # pandas cannot read it: the baseline reads LibreOffice's .xlsx of it
            converted = root / "national-converted"
            subprocess.run(
                ["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(converted), *map(str, paths)],
                capture_output=True,
                check=True,
            )
            readable = sorted(converted.glob("*.xlsx"))
        base = timed(baseline_national, readable, root / f"base-national-{kind}")
        seconds = compare("national forms", f"{forms} forms as {kind}", folder, readable, base, root)
    return seconds


def compare(label: str, what: str, folder: Path, paths: list[Path], base: float, root: Path) -> float:
    runs = {jobs: xlsx_eval(folder, root / f"out-{folder.name}-{jobs}", jobs) for jobs in (1, 2)}
    read = timed(read_floor, paths)
    write = timed(write_floor, paths, root / f"floor-{folder.name}")
    n = len(paths)
    print(f"\n{label}: {what}")
    for jobs, (ours, peak) in runs.items():
        print(
            f"  xlsx-eval --jobs {jobs}         {ours:8.2f} s   {ours / n * 1000:8.1f} ms per workbook"
            f"   baseline / xlsx-eval {base / ours:5.1f} ×   peak RSS of a process {peak:5.0f} MB"
        )
    print(f"  baseline (pandas+openpyxl) {base:8.2f} s   {base / n * 1000:8.1f} ms per workbook")
    print(f"  read floor (calamine)      {read:8.2f} s   {read / n * 1000:8.1f} ms per workbook")
    print(f"  write floor (zip copy)     {write:8.2f} s   {write / n * 1000:8.1f} ms per workbook")
    print(f"  xlsx-eval --jobs 1 / (read+write floors) {runs[1][0] / (read + write):5.1f} ×")
    return runs[1][0] / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a first look")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="xlsx-eval-bench-"))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}")
    try:
        small, big, forms = ((40, 20), (1, 20_000), 40) if args.quick else ((200, 20), (3, 100_000), 200)
        per_form = workload("small forms", root, *small)
        workload("big ledgers", root, *big, findings=0.01)
        if shutil.which("soffice"):
            per_form = national_workload(root, forms)
        else:
            print("\nnational forms: skipped (LibreOffice is needed to convert the baseline's inputs)")
        rate = 1 / per_form
        province = 50_000 / (rate * 16)
        print(
            f"\nscale: {rate:.0f} forms per second per core (--jobs 1, national forms where measured); "
            f"50,000 forms on a 16-core server ≈ {province / 60:.1f} minutes"
        )
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
