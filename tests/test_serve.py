"""xlsx-eval serve over HTTP, with Starlette's test client: every route, the uploads and their limits, the token,
the guard, bad and hostile files (each told the message the command line gives), downloads by id only.

Expected figures are the seed's (scoring.md): the example scores 99.4 优秀 (预算执行 9.4 of 10, 产出 40 of 40,
效益 40 of 40, 满意度 10 of 10); 全年执行数 30.88 against payments of 32.88 gives EXECUTED_MISMATCH and 98.8; a
全年执行数 of 35 (100% executed) gives 100.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from badfiles import EXAMPLE, truncated, zip_bomb
from conftest import SEED_INDICATORS, write_workbook
from declared_forms import Declaration, write_declarations
from lxml import html
from starlette.testclient import TestClient
from typer.testing import CliRunner

from xlsx_eval.cli import app as cli
from xlsx_eval.pipeline import evaluate
from xlsx_eval.web.app import ServeSettings, create_app
from xlsx_eval.web.uploads import UploadLimits

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(data: Path, **settings) -> TestClient:
    return TestClient(create_app(ServeSettings(data=data, hosts=("testserver",), **settings)))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with client_for(tmp_path_factory.mktemp("serve")) as c:
        yield c


def finished(client: TestClient, response, timeout: float = 180.0):
    """The job page a 303 from an upload leads to, once its job is over."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/jobs/[A-Za-z0-9_-]{22}", location)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(location + "/progress").json()
        if state["state"] not in ("queued", "running"):
            page = client.get(location)
            page.location = location
            return page
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def check(client: TestClient, path: Path, name: str | None = None):
    with path.open("rb") as f:
        return finished(client, client.post("/check", files={"file": (name or path.name, f)}, follow_redirects=False))


def batch(client: TestClient, paths: list[Path], **fields):
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    return finished(client, client.post("/batch", files=files, data=fields, follow_redirects=False))


def tree(page) -> html.HtmlElement:
    return html.fromstring(page.text)


def texts(page, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in tree(page).xpath(xpath)]


def links(page) -> dict[str, str]:
    """Each download link's text → its address."""
    return {" ".join(a.text_content().split()): a.get("href") for a in tree(page).xpath("//a[@download]")}


def cli_message(path: Path) -> str:
    """What ``xlsx-eval check --json`` says of an unreadable file."""
    done = CliRunner().invoke(cli, ["check", "--json", str(path)])
    [result] = json.loads(done.stdout)["results"]
    return next(f["message"] for f in result["findings"] if f["code"] == "UNREADABLE_FILE")


# ---- the pages and the shipped files ----


def test_home_page_offers_both_uploads_and_the_shipped_files(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    forms = {f.get("action"): f for f in tree(page).xpath("//form")}
    assert set(forms) == {"/check", "/batch"}
    assert forms["/check"].get("enctype") == "multipart/form-data"
    assert forms["/batch"].xpath(".//input[@type='file']/@multiple")
    assert "单位自查" in page.text and "财政局汇总复核" in page.text
    assert {"/download/template", "/download/example"} <= set(tree(page).xpath("//a/@href"))


def test_every_answer_carries_the_security_headers(client):
    for answer in (client.get("/"), client.get("/static/style.css"), client.get("/no/such/page")):
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"


def test_no_page_has_inline_script_or_style(client):
    for page in (client.get("/"), check(client, EXAMPLE)):
        doc = tree(page)
        assert all(s.get("src") for s in doc.xpath("//script")), "an inline script would be refused by the CSP"
        assert not doc.xpath("//style") and not doc.xpath("//*[@style]")


def test_unknown_page_and_wrong_method_are_told_in_chinese(client):
    answer = client.get("/no/such/page")
    assert answer.status_code == 404 and "没有这个页面" in answer.text
    answer = client.get("/check")
    assert answer.status_code == 405 and "请从页面上提交" in answer.text


@pytest.mark.parametrize(
    ("what", "name", "total"), [("template", "绩效自评模板.xlsx", None), ("example", "绩效自评示例.xlsx", 99.4)]
)
def test_shipped_template_and_example_download_under_their_chinese_names(client, tmp_path, what, name, total):
    answer = client.get(f"/download/{what}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    path = tmp_path / name
    path.write_bytes(answer.content)
    assert openpyxl.load_workbook(path).sheetnames[:3] == ["填表说明", "项目信息", "绩效指标"]
    if total is not None:
        [result] = evaluate(path)
        assert (result.total, result.grade) == (total, "优秀")


def test_an_unknown_shipped_file_is_not_found(client):
    assert client.get("/download/..%2Fjobs").status_code == 404
    assert client.get("/download/secret").status_code == 404


# ---- a unit's check ----


def test_the_example_checks_to_99_4_excellent_with_its_parts_and_findings(client):
    page = check(client, EXAMPLE, "长安区委办.xlsx")
    assert page.status_code == 200
    assert texts(page, "//*[@id='total']") == ["99.4"]
    assert texts(page, "//*[@id='grade']") == ["优秀"]
    bars = texts(page, "//svg//text")
    assert bars == ["预算执行", "9.4 / 10", "产出指标", "40 / 40", "效益指标", "40 / 40", "满意度指标", "10 / 10"]
    rows = tree(page).xpath("//table[contains(@class, 'problems')]/tbody/tr")
    cells = [[" ".join(td.text_content().split()) for td in row.xpath("td")] for row in rows]
    # README: 2 warnings (项目信息 B21, 绩效指标 G2), then 3 notes on the satisfactions G8-G10, worst first
    assert [(c[0], c[1], c[2]) for c in cells] == [
        ("警告", "项目信息", "B21"),
        ("警告", "绩效指标", "G2"),
        ("提示", "绩效指标", "G8"),
        ("提示", "绩效指标", "G9"),
        ("提示", "绩效指标", "G10"),
    ]
    assert "SCORE_OUTRUNS_SPENDING" in cells[0][3]


def test_findings_are_listed_worst_first(client, tmp_path):
    """30.88 typed as 全年执行数: the EXECUTED_MISMATCH error comes before the warnings found before it."""
    path = write_workbook(tmp_path / "差额.xlsx", info={"全年执行数": 30.88, "项目名称": "排序测试项目"})
    page = check(client, path)
    levels = texts(page, "//table[contains(@class, 'problems')]/tbody/tr/td[1]")
    assert levels[0] == "错误"
    assert levels == sorted(levels, key=["错误", "警告", "提示"].index)
    assert texts(page, "//*[@id='total']") == ["98.8"]


def test_every_download_of_a_check_is_the_real_file(client, tmp_path):
    page = check(client, EXAMPLE, "长安区委办.xlsx")
    offered = links(page)
    assert {"评分后的工作簿", "自评报告（Word）", "项目支出绩效自评表（全国通用表式）"} <= set(offered)
    scored = client.get(offered["评分后的工作簿"])
    assert scored.headers["content-disposition"] == "attachment; filename*=utf-8''" + quote("长安区委办.scored.xlsx")
    (tmp_path / "scored.xlsx").write_bytes(scored.content)
    book = openpyxl.load_workbook(tmp_path / "scored.xlsx")
    assert book.sheetnames[0] == "评分结果"
    assert 99.4 in [c for row in book["评分结果"].iter_rows(values_only=True) for c in row]
    report = client.get(offered["自评报告（Word）"])
    assert report.headers["content-disposition"].endswith(quote("长安区委办.report.docx"))
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(report.content)).namelist()
    national = client.get(offered["项目支出绩效自评表（全国通用表式）"])
    (tmp_path / "national.xlsx").write_bytes(national.content)
    [again] = evaluate(tmp_path / "national.xlsx")
    assert (again.layout, again.total, again.grade) == ("national", 99.4, "优秀")


@pytest.mark.skipif(not any(Path(d, "soffice").exists() for d in os.get_exec_path()), reason="LibreOffice 未安装")
def test_the_report_comes_as_pdf_where_libreoffice_is_installed(client):
    page = check(client, EXAMPLE, "长安区委办.xlsx")
    answer = client.get(links(page)["自评报告（PDF）"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert answer.headers["content-disposition"].endswith(quote("长安区委办.report.pdf"))


def test_a_reupload_of_the_same_project_says_what_changed(client, tmp_path):
    project = {"项目名称": "改正前后对比项目"}
    first = check(client, write_workbook(tmp_path / "a.xlsx", info={**project, "全年执行数": 30.88}))
    assert not tree(first).xpath("//*[@class='change']")  # the project's first upload
    second = check(client, write_workbook(tmp_path / "b.xlsx", info=project))
    [change] = texts(second, "//*[@class='change']")
    assert "与上次上传" in change
    assert "总分 98.8 → 99.4" in change
    assert "已改正" in change and "项目信息!B10 EXECUTED_MISMATCH" in change


def test_another_project_is_no_reupload(client, tmp_path):
    check(client, write_workbook(tmp_path / "a.xlsx", info={"项目名称": "甲项目"}))
    other = check(client, write_workbook(tmp_path / "b.xlsx", info={"项目名称": "乙项目"}))
    assert not tree(other).xpath("//*[@class='change']")


def test_user_text_is_escaped(client, tmp_path):
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    path = write_workbook(tmp_path / "x.xlsx", info={"项目名称": hostile, "单位名称": "<b>单位</b>"})
    page = check(client, path, '"><script>alert(2)</script>.xlsx')
    assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>单位" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)" in page.text
    assert not tree(page).xpath("//img") and all(s.get("src") for s in tree(page).xpath("//script"))


def test_the_browsers_file_name_is_never_a_path(client, tmp_path):
    page = check(client, EXAMPLE, "../../../etc/长安区委办.xlsx")
    assert texts(page, "//section/h1")[0] == "长安区委办.xlsx"
    folder = client.app.app.state.jobs.root / page.location.rsplit("/", 1)[1]
    [kept] = [p.relative_to(folder / "in").as_posix() for p in (folder / "in").rglob("*") if p.is_file()]
    assert re.fullmatch(r"[0-9a-f]{16}/长安区委办\.xlsx", kept)  # in a folder of a random name


def noise(path: Path) -> Path:
    path.write_bytes(os.urandom(3000))
    return path


def html_table(path: Path) -> Path:
    path.write_text("<html><table><tr><td>1</td></tr></table></html>")
    return path


BAD_FILES = {"not a workbook": noise, "half a workbook": truncated, "a zip bomb": zip_bomb, "an HTML .xls": html_table}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_gets_the_message_the_command_line_gives(client, tmp_path, kind):
    suffix = ".xls" if "HTML" in kind else ".xlsx"  # the bomb: 200 MB inflated, 0.2 MB uploaded
    path = BAD_FILES[kind](tmp_path / f"坏{suffix}")
    page = check(client, path)
    [alert] = texts(page, "//*[@role='alert']")
    assert alert == "无法读取。" + cli_message(path)


def test_a_check_with_no_file_chosen_says_so(client):
    answer = client.post("/check", files={"file": ("", b"")}, follow_redirects=False)
    assert answer.status_code == 400 and "请先选择要上传的工作簿" in answer.text


# ---- the bureau's batch ----


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    folder = tmp_path_factory.mktemp("three")
    return [
        write_workbook(folder / "乙.xlsx", info={"项目名称": "乙项目", "全年执行数": 30.88}),  # 98.8, an error
        write_workbook(folder / "甲.xlsx", info={"项目名称": "甲项目"}),  # 99.4
        write_workbook(folder / "丙.xlsx", info={"项目名称": "丙项目", "全年执行数": 35}),  # 100, an error
    ]


def totals(page) -> list[str]:
    return texts(page, "//table[@id='results']/tbody/tr/td[5]")


def test_a_batch_lists_every_form_sorted_by_any_column(client, three):
    page = batch(client, three)
    assert totals(page) == ["98.8", "99.4", "100"]  # the upload's order
    ascending = client.get(page.location + "?sort=total&dir=asc")
    assert totals(ascending) == ["98.8", "99.4", "100"]
    assert totals(client.get(page.location + "?sort=total&dir=desc")) == ["100", "99.4", "98.8"]
    by_name = client.get(page.location + "?sort=project&dir=asc")
    assert texts(by_name, "//table[@id='results']/tbody/tr/td[2]") == sorted(["乙项目", "甲项目", "丙项目"])
    errors = client.get(page.location + "?sort=errors&dir=desc")
    assert texts(errors, "//table[@id='results']/tbody/tr/td[7]")[-1] == "0"
    assert totals(client.get(page.location + "?sort=nonsense")) == ["98.8", "99.4", "100"]


def test_a_batch_of_five_with_a_broken_file_scores_four_and_explains_one(client, tmp_path):
    paths = [write_workbook(tmp_path / f"单位{n}.xlsx", info={"项目名称": f"项目{n}"}) for n in range(4)]
    broken = noise(tmp_path / "坏文件.xlsx")
    page = batch(client, [*paths[:2], broken, *paths[2:]])
    [counts] = texts(page, "//*[@id='counts']")
    assert "共 5 份自评表：评分 4 份" in counts and "无法读取 1 份" in counts
    row = tree(page).xpath("//table[@id='results']/tbody/tr")[2]
    assert " ".join(row.xpath("td")[8].text_content().split()) == cli_message(broken)


def test_a_batch_gives_summary_review_and_every_scored_copy(client, three, tmp_path):
    page = batch(client, three, sample="1", seed="2026")
    offered = links(page)
    summary = client.get(offered["汇总表 summary.xlsx"])
    (tmp_path / "summary.xlsx").write_bytes(summary.content)
    assert "项目汇总" in openpyxl.load_workbook(tmp_path / "summary.xlsx").sheetnames
    review = client.get(offered["复核清单 review.xlsx"])
    (tmp_path / "review.xlsx").write_bytes(review.content)
    assert "复核清单" in openpyxl.load_workbook(tmp_path / "review.xlsx").sheetnames
    everything = zipfile.ZipFile(io.BytesIO(client.get(offered["全部评分后的工作簿（.zip）"]).content))
    copies = ["乙.scored.xlsx", "甲.scored.xlsx", "丙.scored.xlsx"]
    assert sorted(everything.namelist()) == sorted([*copies, "summary.xlsx", "review.xlsx"])
    assert len(texts(page, "//table[@id='review']/tbody/tr")) == 3
    assert len(texts(page, "//table[@id='sample']/tbody/tr")) == 1  # --sample 1


def test_two_uploads_of_one_name_both_come_in_the_zip(client, three, tmp_path):
    twin = tmp_path / "甲.xlsx"
    twin.write_bytes(three[0].read_bytes())
    page = batch(client, [three[1], twin])
    everything = zipfile.ZipFile(io.BytesIO(client.get(links(page)["全部评分后的工作簿（.zip）"]).content))
    # the second of one name is named as convert names it
    assert sorted(everything.namelist()) == ["review.xlsx", "summary.xlsx", "甲-2.scored.xlsx", "甲.scored.xlsx"]


def test_a_bad_sample_is_told_before_anything_is_scored(client, three):
    files = [("files", (three[0].name, three[0].read_bytes()))]
    answer = client.post("/batch", files=files, data={"sample": "lots"}, follow_redirects=False)
    assert answer.status_code == 400 and "抽评" in texts(answer, "//*[@role='alert']")[0]
    answer = client.post("/batch", files=files, data={"seed": "x"}, follow_redirects=False)
    assert answer.status_code == 400 and "随机种子须是整数" in answer.text


def test_a_batch_is_compared_with_the_declarations_uploaded_beside_it(client, tmp_path):
    """review.md: a target rewritten after the declaration is TARGET_CHANGED; one form has no declaration and one
    declaration no form."""
    write_declarations(
        tmp_path / "申报表.xlsx",
        Declaration(),  # the seed project, as declared: ≥100% throughout
        Declaration(name="孤立申报项目", sheet="另一份"),
    )
    rows = [list(x) for x in SEED_INDICATORS]
    rows[1][3] = "≥90%"
    forms = [
        write_workbook(tmp_path / "改了指标值.xlsx", indicators=rows),
        write_workbook(tmp_path / "未申报.xlsx", info={"项目名称": "没有申报表的项目"}),
    ]
    files = [("files", (p.name, p.read_bytes())) for p in forms]
    files.append(("declared", ("申报表.xlsx", (tmp_path / "申报表.xlsx").read_bytes())))
    page = finished(client, client.post("/batch", files=files, follow_redirects=False))
    [matching] = texts(page, "//*[@id='declared']")
    assert "1 份自评表找到了绩效目标申报表，1 份没有；1 份申报表没有对应的自评表" in matching
    [reasons] = texts(page, "//table[@id='review']/tbody/tr[td[1]='改了指标值.xlsx']/td[6]")
    assert "“≥90%”与绩效目标申报表申报的“≥100%”（申报表.xlsx!绩效目标申报表!F10）不同" in reasons


def gbk_member(archive: Path, placeholder: str, name: str) -> None:
    """Rename a member to ``name`` in GBK without the UTF-8 flag, as Windows' 发送到压缩文件夹 writes it."""
    raw, fake = name.encode("gbk"), placeholder.encode("ascii")
    assert len(raw) == len(fake)
    archive.write_bytes(archive.read_bytes().replace(fake, raw))


def encrypted_member(archive: Path, name: str) -> None:
    """Set a member's "encrypted" flag (bit 0) in its local header and in its central directory entry."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        data[z.getinfo(name).header_offset + 6] |= 1
        entry = z.start_dir
    while data[entry + 46 : entry + 46 + len(name)] != name.encode():  # walk the central directory
        n, m, k = (int.from_bytes(data[entry + at : entry + at + 2], "little") for at in (28, 30, 32))
        entry += 46 + n + m + k
    data[entry + 8] |= 1
    archive.write_bytes(bytes(data))


def test_a_zip_is_unpacked_and_every_unsafe_member_refused(client, tmp_path):
    upload = tmp_path / "材料.zip"
    example = EXAMPLE.read_bytes()
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("一区/甲.xlsx", example)
        z.writestr("AAAAAA.xlsx", example)  # renamed to 长安区.xlsx in GBK below
        z.writestr("../逃逸.xlsx", example)
        z.writestr("/etc/绝对.xlsx", example)
        z.writestr("C:/盘符.xlsx", example)
        z.writestr("炸弹.xlsx", b"\0" * (8 << 20))  # 8 MiB of zeros: some 1,000 : 1
        z.writestr("内层.zip", b"PK\x05\x06" + b"\0" * 18)
        z.writestr("说明.txt", "请查收")
        z.writestr("__MACOSX/._甲.xlsx", b"")
        z.writestr("locked.xlsx", example)
    gbk_member(upload, "AAAAAA", "长安区")
    encrypted_member(upload, "locked.xlsx")
    page = batch(client, [upload])
    assert texts(page, "//table[@id='results']/tbody/tr/td[1]") == ["材料.zip/一区/甲.xlsx", "材料.zip/长安区.xlsx"]
    refused = dict(
        (row.xpath("td")[0].text_content(), row.xpath("td")[1].text_content())
        for row in tree(page).xpath("//table[@id='refused']/tbody/tr")
    )
    assert set(refused) == {
        "材料.zip/../逃逸.xlsx",
        "材料.zip//etc/绝对.xlsx",
        "材料.zip/C:/盘符.xlsx",
        "材料.zip/炸弹.xlsx",
        "材料.zip/内层.zip",
        "材料.zip/说明.txt",
        "材料.zip/locked.xlsx",
    }
    for name in ("材料.zip/../逃逸.xlsx", "材料.zip//etc/绝对.xlsx", "材料.zip/C:/盘符.xlsx"):
        assert "路径不安全" in refused[name]
    assert "压缩炸弹" in refused["材料.zip/炸弹.xlsx"]
    assert "不再展开" in refused["材料.zip/内层.zip"]
    assert refused["材料.zip/说明.txt"] == "不是工作簿"
    assert "设有密码" in refused["材料.zip/locked.xlsx"]
    data = client.app.app.state.jobs.root.parent
    assert not [p for p in data.parent.rglob("*") if p.name in ("逃逸.xlsx", "绝对.xlsx", "盘符.xlsx")]


def test_a_broken_zip_is_refused_with_why(client, tmp_path):
    upload = tmp_path / "坏.zip"
    upload.write_bytes(b"PK\x03\x04 not really")
    answer = client.post("/batch", files=[("files", (upload.name, upload.read_bytes()))], follow_redirects=False)
    assert answer.status_code == 400 and "不是有效的 .zip 压缩包" in answer.text


# ---- limits ----


def test_a_file_over_the_file_limit_is_refused_and_the_others_scored(tmp_path):
    big = tmp_path / "大.xlsx"
    big.write_bytes(EXAMPLE.read_bytes() + b"\0" * (1 << 20))  # 1.02 MB, over the 1 MB limit set below
    with client_for(tmp_path / "data", limits=UploadLimits(file_bytes=1 << 20)) as c:
        page = batch(c, [EXAMPLE, big])
        assert totals(page) == ["99.4"]
        [row] = tree(page).xpath("//table[@id='refused']/tbody/tr")
        name, why = (td.text_content() for td in row.xpath("td"))
        assert name == "大.xlsx"
        assert why == "文件有 1 MB 以上，超过每个文件 1 MB 的上限；请删去多余的图片、空行后重新上传"
        alone = c.post("/check", files={"file": (big.name, big.read_bytes())}, follow_redirects=False)
        assert alone.status_code == 400 and "大.xlsx：文件有 1 MB 以上" in alone.text


def test_more_files_than_the_count_limit_are_refused(tmp_path):
    with client_for(tmp_path / "data", limits=UploadLimits(files=2)) as c:
        files = [("files", (f"{n}.xlsx", EXAMPLE.read_bytes())) for n in range(4)]
        answer = c.post("/batch", files=files, follow_redirects=False)
        assert answer.status_code == 400 and "一次最多上传 2 个文件" in answer.text
        assert not any((tmp_path / "data" / "jobs").iterdir())


def test_a_zip_unpacking_past_the_count_limit_keeps_the_first(tmp_path):
    upload = io.BytesIO()
    with zipfile.ZipFile(upload, "w") as z:
        for n in range(3):
            z.writestr(f"{n}.xlsx", EXAMPLE.read_bytes())
    with client_for(tmp_path / "data", limits=UploadLimits(files=2)) as c:
        page = batch_bytes(c, "三份.zip", upload.getvalue())
        assert len(totals(page)) == 2
        assert "一次最多处理 2 个文件" in texts(page, "//table[@id='refused']")[0]


def batch_bytes(client: TestClient, name: str, data: bytes):
    return finished(client, client.post("/batch", files=[("files", (name, data))], follow_redirects=False))


def test_a_body_over_the_batch_limit_is_refused_unread(tmp_path):
    with client_for(tmp_path / "data", limits=UploadLimits(batch_bytes=100_000, files=10)) as c:
        files = [("files", (f"{n}.xlsx", EXAMPLE.read_bytes())) for n in range(10)]  # 239 KB
        answer = c.post("/batch", files=files, follow_redirects=False)
        assert answer.status_code == 413 and "请分几次上传" in answer.text


def test_a_chunked_body_over_the_limit_is_stopped_while_read(tmp_path):
    boundary = "xlsxevalboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.xlsx"\r\n'
        f"Content-Type: {XLSX}\r\n\r\n"
    ).encode()

    def body():  # no Content-Length: sent in chunks, 2 MB in all
        yield head
        for _ in range(32):
            yield b"\0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    with client_for(tmp_path / "data", limits=UploadLimits(batch_bytes=500_000)) as c:
        answer = c.post(
            "/batch",
            content=body(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            follow_redirects=False,
        )
        assert answer.status_code == 413 and "超过" in answer.text


def test_an_archive_inflating_past_the_batch_limit_is_refused(tmp_path):
    upload = io.BytesIO()
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as z:
        for n in range(3):
            z.writestr(f"{n}.xlsx", b"\0" * 400_000)
    with client_for(tmp_path / "data", limits=UploadLimits(batch_bytes=1_000_000)) as c:
        answer = c.post("/batch", files=[("files", ("大.zip", upload.getvalue()))], follow_redirects=False)
        assert answer.status_code == 400 and "压缩包解压后共有 1.1 MB，超过一次 1 MB 的上限" in answer.text


# ---- the guard ----


def test_the_token_is_asked_for_and_kept_in_a_cookie(tmp_path):
    with client_for(tmp_path / "data", token="s3cret-token") as c:
        assert c.get("/").status_code == 401 and "访问令牌" in c.get("/").text
        assert c.get("/?token=wrong").status_code == 401
        assert c.get("/download/example").status_code == 401
        answer = c.get("/?token=s3cret-token", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "xlsx_eval_token=s3cret-token" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert c.get("/").status_code == 200  # the client keeps the cookie
        assert check(c, EXAMPLE).status_code == 200
    with client_for(tmp_path / "data2", token="s3cret-token") as c:
        assert c.get("/", headers={"authorization": "Bearer s3cret-token"}).status_code == 200


def test_the_loopback_server_refuses_other_host_names(tmp_path):
    with TestClient(create_app(ServeSettings(data=tmp_path))) as c:  # hosts: the loopback names only
        assert c.get("/", headers={"host": "127.0.0.1:8000"}).status_code == 200
        assert c.get("/", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/", headers={"host": "[::1]:8000"}).status_code == 200
        refused = c.get("/", headers={"host": "rebound.example.com"})
        assert refused.status_code == 400 and "只接受从本机访问" in refused.text


def test_a_form_posted_from_another_site_is_refused(client):
    answer = client.post(
        "/check",
        files={"file": ("a.xlsx", EXAMPLE.read_bytes())},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "其他网站" in answer.text
    same = client.post(
        "/check",
        files={"file": ("a.xlsx", EXAMPLE.read_bytes())},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


# ---- downloads by id only ----


def test_downloads_are_reached_only_through_their_ids(client):
    page = check(client, EXAMPLE)
    job = page.location
    assert client.get(job + "/files/scored-0").status_code == 200
    for wrong in ("meta.json", "..%2Fmeta.json", "in", "scored-9", "pdf-9", "%2E%2E"):
        assert client.get(f"{job}/files/{wrong}").status_code == 404, wrong
    for job_id in ("AAAAAAAAAAAAAAAAAAAAAA", "..%2F..%2Fetc", "x" * 200, "%2E%2E"):
        assert client.get(f"/jobs/{job_id}").status_code == 404
        assert client.get(f"/jobs/{job_id}/files/scored-0").status_code == 404
        assert client.get(f"/jobs/{job_id}/progress").status_code == 404


def test_progress_is_polled_as_json(client):
    answer = client.post("/check", files={"file": ("a.xlsx", EXAMPLE.read_bytes())}, follow_redirects=False)
    first = client.get(answer.headers["location"] + "/progress").json()
    assert first["total"] == 1 and first["state"] in ("queued", "running", "done")
    finished(client, answer)
    assert client.get(answer.headers["location"] + "/progress").json() == {"state": "done", "done": 1, "total": 1}


def test_old_jobs_are_swept_and_their_links_then_fail(tmp_path):
    with client_for(tmp_path / "data", keep_hours=1) as c:
        page = check(c, EXAMPLE)
        jobs = c.app.app.state.jobs
        folder = jobs.root / page.location.rsplit("/", 1)[1]
        assert jobs.sweep() == 0  # still fresh
        old = time.time() - 2 * 3600
        os.utime(folder / "meta.json", (old, old))
        assert jobs.sweep() == 1
        assert not folder.exists()
        gone = c.get(page.location)
        assert gone.status_code == 404 and "自动删除" in gone.text
        assert c.get(page.location + "/files/scored-0").status_code == 404


# ---- the command ----


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_refuses_unknown_rules_a_busy_port_and_a_data_file(tmp_path):
    import socket

    runner = CliRunner()
    done = runner.invoke(cli, ["serve", "--rules", "atlantis", "--data", str(tmp_path)])
    assert done.exit_code == 2 and "atlantis" in done.output
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    done = runner.invoke(cli, ["serve", "--data", str(not_a_folder / "x")])
    assert done.exit_code == 2 and "无法使用数据文件夹" in done.output
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = runner.invoke(cli, ["serve", "--port", str(port), "--data", str(tmp_path)])
    assert done.exit_code == 2 and "端口可能已被占用，请用 --port 换一个" in done.output


def test_serve_on_another_address_makes_and_prints_a_token(tmp_path):
    import http.cookiejar
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "xlsx_eval", "serve", "--host", "0.0.0.0", "--port", str(port), "--data", str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said = [process.stderr.readline() for _ in range(3)]
        token = re.search(r"令牌：(\S+)", said[1]).group(1)
        assert f"?token={token}" in said[0] and "须用带访问令牌的网址打开" in said[1]
        assert len(token) >= 20
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
            except urllib.error.HTTPError as refused:
                assert refused.code == 401
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"{url}?token={token}", timeout=10) as page:  # redirected to / with the cookie
            assert page.status == 200 and "单位自查" in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_fault_in_the_server_is_a_chinese_page_not_a_traceback(tmp_path):
    settings = ServeSettings(data=tmp_path / "data", hosts=("testserver",))
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        page = check(c, EXAMPLE)
        folder = c.app.app.state.jobs.root / page.location.rsplit("/", 1)[1]
        (folder / "job.json").write_text('{"state": "done"}')  # a record damaged on disk
        answer = c.get(page.location)
        assert answer.status_code == 500 and "服务出错" in answer.text and "Traceback" not in answer.text


def running(client: TestClient, response) -> str:
    """The id of an uploaded job, once its process runs."""
    job_id = response.headers["location"].rsplit("/", 1)[1]
    jobs = client.app.app.state.jobs
    deadline = time.monotonic() + 60
    while job_id not in jobs.running:
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.01)
    return job_id


def many(n: int) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (f"{k}.xlsx", EXAMPLE.read_bytes())) for k in range(n)]


def test_a_job_whose_process_dies_says_so_and_the_server_goes_on(tmp_path):
    with client_for(tmp_path / "data") as c:
        answer = c.post("/batch", files=many(150), follow_redirects=False)
        job_id = running(c, answer)
        c.app.app.state.jobs.running[job_id].kill()  # as the kernel's OOM killer would
        page = finished(c, answer)
        assert page.status_code == 500 and "进程意外退出" in page.text
        assert check(c, EXAMPLE).status_code == 200  # the next upload is scored as ever


def test_a_server_stopped_mid_batch_leaves_no_process_and_says_so_after_a_restart(tmp_path):
    with client_for(tmp_path / "data") as c:
        answer = c.post("/batch", files=many(150), follow_redirects=False)
        job_id = running(c, answer)
        process = c.app.app.state.jobs.running[job_id]
    assert not process.is_alive()  # stopped with the server, not left behind
    with client_for(tmp_path / "data") as c:
        page = c.get(f"/jobs/{job_id}")
        assert page.status_code == 410 and "重新启动过，任务没有完成" in page.text
