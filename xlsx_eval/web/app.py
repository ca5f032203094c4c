"""The pages and routes of ``xlsx-eval serve`` (Starlette, Jinja2 pages rendered on the server; plain HTML forms
that work without JavaScript; one small script polls a running job's progress).

- ``/``: a unit's check of one workbook, and the bureau's batch;
- ``/download/template``, ``/download/example``: the blank template and the filled example;
- ``POST /check``, ``POST /batch``: an upload, answered with a redirect to its job's page;
- ``/jobs/{id}``: the job's progress, then its results; ``/jobs/{id}/progress``: the progress as JSON;
- ``/jobs/{id}/files/{file}``: a download, by the job's unguessable id and a name the job gave it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..files import fault
from ..findings import SEVERITY_LABELS
from .guard import LOOPBACK_HOSTS, BodyTooLarge, Guard
from .jobs import Job, Jobs
from .uploads import UploadLimits, mb, save_uploads
from .view import batch_rows, form_view, sort_rows

HERE = Path(__file__).parent
SWEEP_SECONDS = 600.0  # how often old jobs are looked for (more often when they are kept less than 40 minutes)


@dataclass(frozen=True)
class ServeSettings:
    data: Path
    rules: str | None = None  # a profile name or a rules file, as --rules takes it
    token: str | None = None  # None: no token asked for (the loopback only)
    hosts: tuple[str, ...] | None = LOOPBACK_HOSTS  # the Host names accepted; None: any (a token guards instead)
    limits: UploadLimits = field(default_factory=UploadLimits)
    keep_hours: float = 72.0
    jobs: int = os.cpu_count() or 1  # worker processes for a batch


def create_app(settings: ServeSettings) -> Guard:
    from ..report.pdf import soffice
    from ..score.rules_file import load_rules

    rules = load_rules(settings.rules)  # checked by the caller: a bad rules file is a usage error before this
    data = settings.data.resolve()  # the workers' paths, whatever folder they run in
    jobs = Jobs(data, settings.rules, settings.jobs, settings.keep_hours)
    downloads = _downloads(data / "downloads")
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.filters["num"] = lambda v: "—" if v is None else f"{v:g}"
    env.globals.update(
        rules_title=rules.title,
        keep_hours=f"{settings.keep_hours:g}",
        limits={"file": mb(settings.limits.file_bytes), "batch": mb(settings.limits.batch_bytes)},
        max_files=settings.limits.files,
        severity_labels=SEVERITY_LABELS,
    )
    pdf_lock = threading.Lock()

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def page(status: int, title: str, message: str) -> Response:
        return render("message.html", status, title=title, message=message)

    async def home(request: Request) -> Response:
        return render("index.html", title="绩效自评在线核查")

    async def download_shipped(request: Request) -> Response:
        what = request.path_params["what"]
        if what not in downloads:
            return page(404, "没有这个文件", "请从首页下载模板或示例。")
        path, name = downloads[what]
        return FileResponse(path, filename=name, media_type=XLSX)

    async def upload(request: Request) -> Response:
        kind = "check" if request.url.path == "/check" else "batch"
        limit = 1 if kind == "check" else settings.limits.files
        folder: Path | None = None
        too_many = f"一次最多上传 {limit} 个文件；请分几次上传，或打包成 .zip 后上传。"
        try:
            # a batch's declarations are files too, as many at most as its forms
            async with request.form(max_files=limit + 1 if kind == "check" else 2 * limit + 1, max_fields=10) as form:
                sample = str(form.get("sample") or "").strip() or None
                seed = str(form.get("seed") or "1").strip()
                problem = _form_problem(kind, sample, seed)
                if problem is not None:
                    return render("index.html", 400, title="绩效自评在线核查", error=problem)
                parts = [
                    (f.filename or "", f.file)
                    for f in form.getlist("file" if kind == "check" else "files")
                    if isinstance(f, UploadFile) and f.filename
                ]
                if not parts:
                    error = "请先选择要上传的工作簿" if kind == "check" else "请先选择要上传的工作簿或 .zip 压缩包"
                    return render("index.html", 400, title="绩效自评在线核查", error=error)
                if len(parts) > limit:
                    return page(400, "上传的文件过多", too_many)
                folder = jobs.new_folder()
                saved = await run_in_threadpool(save_uploads, parts, folder / "in", settings.limits)
                declarations = [
                    (f.filename or "", f.file)
                    for f in form.getlist("declared")
                    if kind == "batch" and isinstance(f, UploadFile) and f.filename
                ]
                declared = (
                    await run_in_threadpool(save_uploads, declarations, folder / "declared", settings.limits)
                    if declarations
                    else None
                )
        except OSError as exc:  # the data folder full or gone: nothing is kept of this upload
            if folder is not None:
                await run_in_threadpool(_remove, folder)
            why = fault(exc, data) or f"服务器无法保存上传的文件（{exc.strerror or exc}）"
            return page(507, "上传的文件未能保存", why + "；请告知管理员，稍后重新上传。")
        except BodyTooLarge:
            return page(
                413,
                "上传的内容过大",
                f"一次上传的文件合计超过 {mb(settings.limits.batch_bytes)} MB 的上限；请分几次上传。",
            )
        except HTTPException as exc:  # starlette's for a body python-multipart refused
            if "too many files" in str(exc.detail).casefold():
                return page(400, "上传的文件过多", too_many)
            return page(400, "上传的内容无法读取", "请在本页面上重新选择文件并提交。")
        if not saved.files:
            await run_in_threadpool(_remove, folder)
            reasons = "；".join(f"{name}：{why}" for name, why in saved.refused)
            return render("index.html", 400, title="绩效自评在线核查", error=f"没有可以评分的文件。{reasons}")
        job_id = jobs.create(kind, saved, folder, sample, int(seed), declared)
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    async def job_page(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        if job is None:
            return page(
                404,
                "没有这项任务",
                f"这个链接已失效：上传的文件保存 {settings.keep_hours:g} 小时后自动删除。请重新上传。",
            )
        if job.status in ("queued", "running"):
            return render("progress.html", title="正在评分", job=job)
        if job.status != "done":
            why = job.data.get("error") or "服务在处理这批文件时重新启动过，任务没有完成；请重新上传。"
            return page(500 if job.status == "failed" else 410, "任务没有完成", why)
        if job.kind == "check":
            forms = [
                form_view(r, job.data["files"], n, change, bool(soffice()))
                for n, (r, change) in enumerate(zip(job.data["results"], job.data["changes"]))
            ]
            return render("check.html", title="核查结果", job=job, forms=forms)
        rows = batch_rows(job.data["results"])
        key, descending = request.query_params.get("sort", ""), request.query_params.get("dir") == "desc"
        return render(
            "batch.html",
            title="批量评分结果",
            job=job,
            rows=sort_rows(rows, key, descending),
            sort=key,
            descending=descending,
            counts=_counts(rows),
            review=job.data.get("review"),
            shown_names={r["file"]: r["shown"] for r in job.data["results"]},
        )

    async def progress(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        if job is None:
            return JSONResponse({"state": "missing"}, status_code=404)
        return JSONResponse({"state": job.status, "done": job.done, "total": job.total})

    async def download(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        file_id = request.path_params["file"]
        if job is None or job.status != "done":
            return page(404, "没有这个文件", "这个链接已失效，或任务还没有完成；请回到结果页下载。")
        if file_id.startswith("pdf-") and f"report-{file_id[4:]}" in job.data["files"]:
            return await run_in_threadpool(_pdf, job, file_id)
        entry = job.data["files"].get(file_id)
        if entry is None:
            return page(404, "没有这个文件", "请回到结果页下载。")
        return FileResponse(job.folder / entry["path"], filename=entry["name"], media_type=_media_type(entry["name"]))

    def _pdf(job: Job, file_id: str) -> Response:
        """The report as PDF, made by LibreOffice the first time it is asked for."""
        from ..report.pdf import to_pdf

        entry = job.data["files"][f"report-{file_id[4:]}"]
        document = job.folder / entry["path"]
        name = entry["name"].removesuffix(".docx") + ".pdf"
        with pdf_lock:  # one LibreOffice at a time: it refuses a second instance on the same profile
            if not document.with_suffix(".pdf").exists():
                failed = to_pdf([document])
                if failed:
                    return page(500, "PDF 未能生成", failed[document])
        return FileResponse(document.with_suffix(".pdf"), filename=name, media_type="application/pdf")

    async def not_found(request: Request, exc: Exception) -> Response:
        return page(404, "没有这个页面", "请从首页开始。")

    async def wrong_method(request: Request, exc: Exception) -> Response:
        return page(405, "请从页面上提交", "这个地址只接受页面上的表单提交；请回到首页选择文件后点击按钮。")

    async def server_error(request: Request, exc: Exception) -> Response:  # never a traceback in the browser
        return page(
            500, "服务出错", f"处理这个请求时出错；请稍后重试，或告知管理员（技术信息：{type(exc).__name__}）。"
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        async def sweep() -> None:
            while True:
                await run_in_threadpool(jobs.sweep)
                await asyncio.sleep(min(SWEEP_SECONDS, settings.keep_hours * 3600 / 4))

        sweeper = asyncio.create_task(sweep())
        try:
            yield
        finally:
            sweeper.cancel()
            jobs.close()

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/download/{what}", download_shipped),
            Route("/check", upload, methods=["POST"]),
            Route("/batch", upload, methods=["POST"]),
            Route("/jobs/{job}", job_page),
            Route("/jobs/{job}/progress", progress),
            Route("/jobs/{job}/files/{file}", download),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={404: not_found, 405: wrong_method, 500: server_error},
        lifespan=lifespan,
    )
    app.state.jobs = jobs
    return Guard(app, page, settings.token, settings.hosts, settings.limits)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MEDIA_TYPES = {
    ".xlsx": XLSX,
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".zip": "application/zip",
}


def _media_type(name: str) -> str:
    return _MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def _form_problem(kind: str, sample: str | None, seed: str) -> str | None:
    """Why the batch form's 抽评 fields cannot be used, in the words the command line uses; None when they can."""
    if kind == "check":
        return None
    if not seed.lstrip("-").isdigit():
        return f"随机种子须是整数，如 2026（填的是“{seed}”）"
    if sample is not None:
        from ..batch.review import sample_size

        try:
            sample_size(sample, 1)
        except ValueError as exc:
            return str(exc)
    return None


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "forms": len(rows),
        "scored": sum(r["scored"] for r in rows),
        "unreadable": sum(r["unreadable"] for r in rows),
        "with_errors": sum(1 for r in rows if r["scored"] and r["errors"]),
    }


def _downloads(folder: Path) -> dict[str, tuple[Path, str]]:
    """The blank template and the filled example, written once into the data folder."""
    from ..write.template import write_template

    shipped = {}
    for what, name, example in (("template", "绩效自评模板.xlsx", False), ("example", "绩效自评示例.xlsx", True)):
        path = folder / f"{what}.xlsx"
        if not path.exists():
            write_template(path, example=example)
        shipped[what] = (path, name)
    return shipped


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
