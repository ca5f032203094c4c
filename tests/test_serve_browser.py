"""xlsx-eval serve in a real browser: the command started on a free loopback port, headless Chromium (Debian's
chromium, driven by Playwright with the system browser's executable) choosing files, submitting the forms and
downloading, as a user would. Skipped, with the reason, where there is no browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import openpyxl
import pytest
from badfiles import EXAMPLE
from conftest import write_workbook

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright 未安装（pip install '.[test]'）")

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="没有 Chromium（Debian：apt-get install chromium）")
# as root, without a sandbox; the network calls Chromium makes on its own are refused on a closed machine
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``xlsx-eval serve`` as a user starts it; its address."""
    port, data = free_port(), tmp_path_factory.mktemp("serve-data")
    log = (data.parent / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "xlsx_eval", "serve", "--port", str(port), "--data", str(data)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError((data.parent / "serve.log").read_text()) from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    tab = context.new_page()
    tab.console_errors = []  # a CSP refusal, a missing script or style: each one shows here
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    yield tab
    context.close()
    assert not tab.console_errors


def test_a_unit_uploads_the_example_and_downloads_its_scored_workbook(server, page, tmp_path):
    page.goto(server)
    page.set_input_files("#file", str(EXAMPLE))
    page.click("form[action='/check'] button")
    page.wait_for_selector("#total", timeout=120_000)
    assert page.inner_text("#total") == "99.4"
    assert page.inner_text("#grade") == "优秀"
    assert page.locator("table.problems tbody tr").count() == 5  # README: 2 warnings, 3 notes
    with page.expect_download() as download:
        page.click("text=评分后的工作簿")
    assert download.value.suggested_filename == "example.scored.xlsx"
    saved = tmp_path / "example.scored.xlsx"
    download.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames[0] == "评分结果"
    assert 99.4 in [c for row in book["评分结果"].iter_rows(values_only=True) for c in row]
    # the 自评得分 the tool filled: the seed's nine indicators all score their weight
    header = [c.value for c in book["绩效指标"][1]]
    scores = [row[header.index("自评得分")] for row in book["绩效指标"].iter_rows(min_row=2, values_only=True)]
    assert [s for s in scores if s is not None] == [10, 10, 20, 20, 10, 10, 5, 3, 2]


def test_the_bureau_uploads_five_with_one_broken_and_sees_four_scored_one_explained(server, page, tmp_path):
    paths = [write_workbook(tmp_path / f"单位{n}.xlsx", info={"项目名称": f"浏览器项目{n}"}) for n in range(4)]
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(os.urandom(4000))
    page.goto(server)
    page.set_input_files("#files", [str(p) for p in [*paths[:2], broken, *paths[2:]]])
    page.fill("#sample", "2")
    page.click("form[action='/batch'] button")
    page.wait_for_selector("#counts", timeout=180_000)
    counts = page.inner_text("#counts")
    assert "共 5 份自评表：评分 4 份" in counts and "无法读取 1 份" in counts
    rows = page.locator("#results tbody tr")
    assert rows.count() == 5
    assert [rows.nth(n).locator("td").nth(4).inner_text() for n in range(5)] == ["99.4", "99.4", "—", "99.4", "99.4"]
    assert "这不是 Excel 工作簿" in rows.nth(2).locator("td").nth(8).inner_text()
    assert page.locator("#sample tbody tr").count() == 2
    page.click("#results thead >> text=总分")  # sorted on the server: the unscored row last
    assert page.locator("#results tbody tr").nth(4).locator("td").nth(0).inner_text() == "坏文件.xlsx"
    with page.expect_download() as download:
        page.click("text=复核清单 review.xlsx")
    download.value.save_as(tmp_path / "review.xlsx")
    assert "复核清单" in openpyxl.load_workbook(tmp_path / "review.xlsx").sheetnames


def test_the_progress_bar_runs_with_the_script_the_csp_allows(server, page, tmp_path):
    """A batch big enough to be seen running: the bar's page loads progress.js (an inline script would be
    refused, and the console error fails the test) and comes to the results by itself."""
    paths = [write_workbook(tmp_path / f"{n}.xlsx", info={"项目名称": f"进度{n}"}) for n in range(12)]
    page.goto(server)
    page.set_input_files("#files", [str(p) for p in paths])
    page.click("form[action='/batch'] button")
    page.wait_for_selector("#counts", timeout=180_000)
    assert "共 12 份自评表：评分 12 份" in page.inner_text("#counts")


def test_without_javascript_the_progress_page_refreshes_itself_to_the_result(server, browser):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(server)
    tab.set_input_files("#file", str(EXAMPLE))
    tab.click("form[action='/check'] button")
    tab.wait_for_selector("#total", timeout=120_000)  # reached by the <noscript> refresh alone
    assert tab.inner_text("#total") == "99.4"
    context.close()


def test_an_upload_over_the_limit_is_told_in_the_page(server, page, tmp_path):
    big = tmp_path / "过大.xlsx"
    big.write_bytes(b"\0" * (21 << 20))  # over the 20 MB a file
    page.goto(server)
    page.set_input_files("#file", str(big))
    page.click("form[action='/check'] button")
    page.wait_for_selector("[role=alert]")
    assert "超过每个文件 20 MB 的上限" in page.inner_text("[role=alert]")
    # the refusal's page came with its 400, which the console notes; nothing else may be there
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.console_errors.clear()
