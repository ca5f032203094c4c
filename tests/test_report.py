"""The 自评报告: the seed's report regenerated from the example workbook (figures typed in from
seed-report.txt), the slip variant, neutral sentences for empty sections, templates, typography, PDF."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from typer.testing import CliRunner

from xlsx_eval.cli import app
from xlsx_eval.errors import ReportTemplateError
from xlsx_eval.pipeline import _evaluate
from xlsx_eval.report.template import report_template_bytes
from xlsx_eval.report.word import VARIABLES, report_context, write_report
from xlsx_eval.score.rules_file import national

SHIPPED_TEMPLATE = Path(__file__).resolve().parent.parent / "workbook_templates" / "report-template.docx"

# seed-report.txt, section by section, in its order
SEED_HEADINGS = [
    "项目自评报告",
    "一、项目基本情况",
    "（一）项目概况",
    "（二）项目预期绩效目标",
    "二、自评工作情况",
    "（一）自评的组织工作",
    "（二）自评的方法和过程",
    "三、项目执行及绩效实现情况",
    "（一）预算执行情况",
    "（二）项目产出",
    "（三）项目效益",
    "（四）满意度",
    "四、项目综合评价结论和评价等级",
    "五、存在的问题及改进措施",
    "（一）项目存在的主要问题",
    "（二）针对问题提出的改进措施和建议",
    "六、评价工作组人员名单及签字",
]
# the eight payments of seed-report.txt's 预算执行情况, as the seed writes them
SEED_PAYMENT_SENTENCES = [
    (
        "2020年1月30日，值班室视频系统安装经费支出14.3万元；候会议室视频系统安装经费支出4.82万元；"
        "购置会议室音频设备支出8.11万元。"
    ),
    "2020年4月7日，购置值班室无线话筒支出0.6万元。",
    "2020年5月11日，制作值班室制度标牌支出1.3万元。",
    "2020年6月30日，购置应急值守电视支出1.62万元。",
    "2020年7月1日，购置音视频线支出0.13万元。",
    "2020年10月25日，视频会议通信费及购置机柜等支出2万元。",
]
SEED_TEAM = ["卢玉杰", "赵洪涛", "梅常青", "贾士恩", "张静", "刘敏"]


def body_lines(path: Path) -> list[str]:
    """The document's paragraphs and table rows ("a | b | c"), in the order they appear."""
    doc = docx.Document(str(path))
    lines = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append("".join(t.text or "" for t in child.iter(qn("w:t"))))
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.iter(qn("w:tc"))]
                lines.append(" | ".join(cells))
    return lines


def render(workbook: Path, dest: Path, template: Path | None = None) -> list[str]:
    [(wb, result)] = _evaluate(workbook, national())
    write_report(wb, result, dest, template)
    return body_lines(dest)


def template_with(tmp_path: Path, *paragraphs: str) -> Path:
    """A bureau's own template: a Word document of these paragraphs."""
    path = tmp_path / "template.docx"
    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(path)
    return path


def with_executed(example: Path, tmp_path: Path, executed: float) -> Path:
    """The example with 全年执行数 typed in as ``executed`` (the seed's slip: 30.88)."""
    wb = openpyxl.load_workbook(example)
    ws = wb["项目信息"]
    [row] = [r for r in ws.iter_rows() if r[0].value and str(r[0].value).startswith("全年执行数")]
    row[1].value = executed
    path = tmp_path / "slip.xlsx"
    wb.save(path)
    return path


def test_the_seed_report_comes_back_from_the_example(example, tmp_path):
    lines = render(example, tmp_path / "r.docx")
    text = "\n".join(lines)
    assert lines[:3] == ["长安区委办公室", "值班视频系统安装经费", "项目自评报告"]
    positions = [lines.index(h) for h in SEED_HEADINGS]
    assert positions == sorted(positions), "sections out of the seed's order"
    assert (
        "根据《石家庄市财政支出绩效评价办法》（石财绩[2013]2号），遵循“科学性、规范性、客观性和公正性”的原则，"
        "对值班视频系统安装经费项目实施了财政支出绩效自评价，形成本评价报告。"
    ) in lines
    assert (
        "2020年度长安区委办公室值班视频系统安装经费预算35万元，资金到位35万元（其中财政资金35万元），"
        "资金执行32.88万元，预算执行率94%。"
    ) in lines
    assert "值班视频系统安装经费合计支出32.88万元，具体支出执行情况如下：" in lines
    start = lines.index("值班视频系统安装经费合计支出32.88万元，具体支出执行情况如下：") + 1
    assert lines[start : start + 6] == SEED_PAYMENT_SENTENCES
    assert "根据项目执行情况和项目绩效情况，值班视频系统安装经费项目总得分为99.4，项目综合绩效评价等级为优秀。" in lines
    assert "组长：卢玉杰" in lines and "成员：赵洪涛，梅常青，贾士恩，张静，刘敏" in lines
    team_rows = [line for line in lines if line.split(" | ")[0] in SEED_TEAM]
    assert [row.split(" | ")[0] for row in team_rows] == SEED_TEAM
    assert "卢玉杰 | 长安区委办公室 | 常务副主任 |  | 组长 | " in lines
    # the indicator table: 预算执行率 94% → 9.4 on a row of its own, first, as on 评分结果; total 99.4
    header = "一级指标 | 二级指标 | 三级指标 | 预期指标值 | 实际完成值 | 分值 | 自评得分"
    assert lines[lines.index(header) + 1 : lines.index(header) + 3] == [
        "预算执行率 |  |  | 100% | 94% | 10 | 9.4",
        "产出指标 | 成本指标 | 经费严格控制在预算内 | ≥100% | 100% | 10 | 10",
    ]
    assert "总分 | 99.4" in lines
    assert "上级单位满意度达100%。" in lines
    assert "{" not in text and "None" not in text


def test_the_slip_is_reported_with_the_ledgers_truth(example, tmp_path):
    lines = render(with_executed(example, tmp_path, 30.88), tmp_path / "r.docx")
    text = "\n".join(lines)
    assert "值班视频系统安装经费合计支出32.88万元，具体支出执行情况如下：" in lines
    assert "30.88万元" in text and "合计支出30.88万元" not in text
    [note] = [line for line in lines if line.startswith("需要说明的是")]
    assert "全年执行数为30.88万元" in note and "支出明细合计32.88万元" in note and "相差2万元" in note
    # the workbook is scored as filled (30.88 / 35 = 88.2% → 88% → 8.8; 98.8 in all), and the report says so
    assert "资金执行30.88万元，预算执行率88%" in text
    assert "总得分为98.8" in text


def test_sections_without_text_get_neutral_sentences(build, tmp_path):
    lines = render(build(), tmp_path / "r.docx")  # no texts, no team, no 问题与措施 in this workbook
    text = "\n".join(lines)
    for heading in SEED_HEADINGS[1:]:
        following = lines[lines.index(heading) + 1]
        assert following.strip(), f"{heading} is followed by an empty line"
    assert "根据财政支出绩效评价的有关规定" in text
    assert "本项目设置效益指标3项，其中3项达到年度指标值。" in lines
    assert "本项目各项绩效指标均达到年度指标值，未发现明显问题。" in lines
    assert lines[lines.index("六、评价工作组人员名单及签字") + 1] == "本项目自评由长安区委办公室组织实施。"
    assert "{" not in text and "None" not in text


def test_a_shortfall_is_named_with_its_reason(build, tmp_path):
    from conftest import SEED_INDICATORS, ind

    indicators = [
        *SEED_INDICATORS[:-1],
        ind(
            "满意度指标",
            "服务对象满意度指标",
            "其他部门单位对本单位值班情况的满意度",
            "≥100%",
            "90%",
            2,
            reason="个别单位反馈响应偏慢",
        ),
    ]
    lines = render(build(indicators=indicators), tmp_path / "r.docx")
    # 2 × 90 / 100 = 1.8 of 2
    assert (
        "其他部门单位对本单位值班情况的满意度（年度指标值≥100%，实际完成90%，得分1.8，分值2），"
        "原因：个别单位反馈响应偏慢。"
    ) in lines


def test_user_text_with_markup_characters_is_written_as_text(build, tmp_path):
    lines = render(build(info={"项目概况": "设备<A&B>型号 & 配件"}), tmp_path / "r.docx")
    assert "设备<A&B>型号 & 配件" in lines


def test_the_same_report_is_the_same_bytes(example, tmp_path):
    # the send log of `email` keys on the attachment's digest: a rerun must not look like a new report
    [(wb, result)] = _evaluate(example, national())
    first, second = tmp_path / "a.docx", tmp_path / "b.docx"
    write_report(wb, result, first)
    time.sleep(2.1)  # a rerun, later by more than the two-second step of zip times
    write_report(wb, result, second)
    assert first.read_bytes() == second.read_bytes()


def test_context_offers_exactly_the_documented_variables(example):
    [(wb, result)] = _evaluate(example, national())
    assert set(report_context(wb, result)) == VARIABLES


def test_the_shipped_template_is_the_built_one():
    built = zipfile.ZipFile(io.BytesIO(report_template_bytes()))
    shipped = zipfile.ZipFile(SHIPPED_TEMPLATE)
    assert sorted(built.namelist()) == sorted(shipped.namelist())
    for name in built.namelist():
        assert built.read(name) == shipped.read(name), (
            f"workbook_templates/report-template.docx 已过时（{name}）；"
            "请运行 xlsx-eval template --report workbook_templates/report-template.docx --force"
        )


def test_typography_follows_gb_t_9704(example, tmp_path):
    write = tmp_path / "r.docx"
    render(example, write)
    doc = docx.Document(str(write))
    section = doc.sections[0]
    sizes = (
        section.page_width,
        section.page_height,
        section.top_margin,
        section.bottom_margin,
        section.left_margin,
        section.right_margin,
    )
    assert [round(x.mm) for x in sizes] == [210, 297, 37, 35, 28, 26]  # A4; margins as GB/T 9704
    expected = {
        "Title": ("宋体", Pt(22)),
        "Heading 1": ("黑体", Pt(16)),
        "Heading 2": ("楷体", Pt(16)),
        "Normal": ("仿宋", Pt(16)),
    }
    for name, (font, size) in expected.items():
        style = doc.styles[name]
        assert style.element.rPr.rFonts.get(qn("w:eastAsia")) == font, name
        assert style.font.size == size, name
    assert doc.paragraphs[0].style.name == "Title"
    styles = {p.text: p.style.name for p in doc.paragraphs}
    assert styles["一、项目基本情况"] == "Heading 1" and styles["（一）项目概况"] == "Heading 2"
    for table in doc.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert table.style.name == "Table Grid"


def test_a_bad_tag_is_named(tmp_path, example):
    bad = template_with(tmp_path, "{{ unit }}单位", "总分：{{ total ")
    with pytest.raises(ReportTemplateError, match=r"标签有误.*总分：\{\{ total"):
        render(example, tmp_path / "r.docx", bad)
    result = CliRunner().invoke(
        app, ["report", str(example), "-o", str(tmp_path / "r.docx"), "--report-template", str(bad)]
    )
    assert result.exit_code == 2
    assert "报告模板" in result.output and "总分：{{ total" in result.output
    assert not (tmp_path / "r.docx").exists()


def test_a_block_never_ended_is_named(tmp_path, example):
    bad = template_with(tmp_path, "目标：", "{%p for g in goals %}", "{{ g }}")
    with pytest.raises(ReportTemplateError, match=r"出错的段落：\{%p for g in goals %\}"):
        render(example, tmp_path / "r.docx", bad)


def test_an_unknown_variable_is_named(tmp_path, example):
    bad = template_with(tmp_path, "{{ unit }}的{{ 总分 }}与{{ totl }}")
    with pytest.raises(ReportTemplateError, match="未知的变量：totl、总分"):
        render(example, tmp_path / "r.docx", bad)


def test_a_bureaus_template_changes_the_wording(tmp_path, example):
    own = template_with(tmp_path, "{{ unit }}《{{ project }}》自评得分{{ total }}分，等级{{ grade }}。")
    assert render(example, tmp_path / "r.docx", own) == [
        "长安区委办公室《值班视频系统安装经费》自评得分99.4分，等级优秀。"
    ]


def test_report_command(example, tmp_path):
    dest = tmp_path / "自评报告.docx"
    result = CliRunner().invoke(app, ["report", str(example), "-o", str(dest)])
    assert result.exit_code == 0, result.output
    assert "已写出报告" in result.output and dest.is_file()
    assert "总得分为99.4" in "\n".join(body_lines(dest))
    wrong = CliRunner().invoke(app, ["report", str(example), "-o", str(tmp_path / "r.pdf")])
    assert wrong.exit_code == 2 and "须以 .docx 结尾" in wrong.output


def test_report_command_on_an_unscorable_workbook(build, tmp_path):
    path = build(info={"全年预算数": None})
    result = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "r.docx")])
    assert result.exit_code == 1
    assert "未写出报告" in result.output and not (tmp_path / "r.docx").exists()


def test_report_takes_rules(example, tmp_path):
    # the hubei profile labels grades 优/良/中/差: 99.4 ≥ 90 → 优
    dest = tmp_path / "r.docx"
    result = CliRunner().invoke(app, ["report", str(example), "-o", str(dest), "--rules", "hubei"])
    assert result.exit_code == 0, result.output
    assert "项目总得分为99.4，项目综合绩效评价等级为优。" in "\n".join(body_lines(dest))


def test_convert_report_writes_one_beside_each_scored_copy(example, build, tmp_path):
    out = tmp_path / "out"
    broken = build("broken.xlsx", info={"全年预算数": None})
    result = CliRunner().invoke(app, ["convert", str(example), str(broken), "-o", str(out), "--report", "--json"])
    assert result.exit_code == 1, result.output
    import json

    results = json.loads(result.stdout)["results"]
    assert results[0]["report"] == str(out / "example.report.docx")
    assert results[1]["report"] is None  # not scored: no report
    assert (out / "example.report.docx").is_file() and not (out / "broken.report.docx").exists()


def test_changed_only_redoes_a_file_whose_report_is_newly_asked_for(example, tmp_path):
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["convert", str(example), "-o", str(out)]).exit_code == 0
    again = CliRunner().invoke(app, ["convert", str(example), "-o", str(out), "--changed-only", "--report"])
    assert again.exit_code == 0, again.output
    assert "未改动" not in again.output and (out / "example.report.docx").is_file()
    third = CliRunner().invoke(app, ["convert", str(example), "-o", str(out), "--changed-only", "--report"])
    assert "1 个未改动" in third.output


def test_pdf_without_libreoffice_says_so(example, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    dest = tmp_path / "r.docx"
    result = CliRunner().invoke(app, ["report", str(example), "-o", str(dest), "--pdf"])
    assert result.exit_code == 1
    assert "未找到 LibreOffice" in result.output and "apt-get install libreoffice-writer" in result.output
    assert dest.is_file() and not dest.with_suffix(".pdf").exists()


def _writer_installed() -> bool:
    program = shutil.which("soffice")
    return bool(program) and any(Path(program).resolve().parent.glob("libswlo.so"))


@pytest.mark.skipif(
    not _writer_installed() or not shutil.which("pdftoppm"),
    reason="LibreOffice Writer (libreoffice-writer) or pdftoppm (poppler-utils) is not installed",
)
def test_libreoffice_renders_the_report_with_chinese_glyphs(example, tmp_path):
    dest = tmp_path / "r.docx"
    result = CliRunner().invoke(app, ["report", str(example), "-o", str(dest), "--pdf"])
    assert result.exit_code == 0, result.output
    pdf = dest.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    squeezed = "".join(text.split())
    assert "项目自评报告" in squeezed and "总得分为99.4" in squeezed and "合计支出32.88万元" in squeezed
    # the text layer can hold characters that print as boxes: the glyphs must come from a CJK font
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert any(
        word in fonts for word in ("CJK", "Droid", "WenQuanYi", "SimSun", "FangSong", "Noto Serif SC", "Noto Sans SC")
    ), fonts
    # the score table as printed: its headers and five-character level names each on one line, 预算执行率 first
    layout = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    header = [line.split() for line in layout if "预期指标值" in line]
    assert header and all(
        words == ["一级指标", "二级指标", "三级指标", "预期指标值", "实际完成值", "分值", "自评得分"]
        for words in header
    ), header  # repeated on each page the table spans
    after = layout[layout.index(next(line for line in layout if "预期指标值" in line)) + 1].split()
    assert after == ["预算执行率", "100%", "94%", "10", "9.4"]
    assert sum(line.split()[0] == "满意度指标" for line in layout if line.strip()) == 6  # 3 in each table
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    [png] = tmp_path.glob("page*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


# --- a bureau's template with a typo, wherever it is (issue 12, item 8) ---


def shipped_with_typo(tmp_path: Path, where: str) -> Path:
    """The shipped template (its footers carry the page numbers) with a "{{ unit }" typed in ``where``."""
    doc = docx.Document(str(SHIPPED_TEMPLATE))
    section = doc.sections[0]
    if where == "footer":
        section.footer.add_paragraph("第{{ unit }页")
    elif where == "even footer":
        section.even_page_footer.add_paragraph("第{{ unit }页")
    elif where == "header":
        section.header.paragraphs[0].text = "{{ unit }办公室"
    else:
        doc.add_paragraph("落款：{{ unit }")
    path = tmp_path / "我局模板.docx"
    doc.save(str(path))
    return path


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ("footer", "（页脚）：第{{ unit }页"),
        ("even footer", "（页脚）：第{{ unit }页"),
        ("header", "（页眉）：{{ unit }办公室"),
        ("body", "：落款：{{ unit }"),
    ],
)
def test_a_typo_in_a_header_footer_or_the_body_is_named(tmp_path, example, where, named):
    bad = shipped_with_typo(tmp_path, where)
    result = CliRunner().invoke(
        app, ["report", str(example), "-o", str(tmp_path / "r.docx"), "--report-template", str(bad)]
    )
    assert result.exit_code == 2
    assert result.output == (
        f"报告模板 {bad} 中的标签有误，出错的段落{named}（技术信息：unexpected '}}'）；"
        "标签应写成 {{ 变量名 }} 或 {% for … %} … {% endfor %}，括号成对、写在同一段落内\n"
    )
    assert not (tmp_path / "r.docx").exists()


def test_the_shipped_template_with_its_footers_renders(tmp_path, example):
    footers = [name for name in zipfile.ZipFile(SHIPPED_TEMPLATE).namelist() if name.startswith("word/footer")]
    assert len(footers) == 2  # odd and even page numbers: the template check must read them too
    dest = tmp_path / "r.docx"
    result = CliRunner().invoke(
        app, ["report", str(example), "-o", str(dest), "--report-template", str(SHIPPED_TEMPLATE)]
    )
    assert result.exit_code == 0, result.output
    assert "总得分为99.4" in "\n".join(body_lines(dest))


# --- a workbook of very many indicators (item 12) ---


def table_after(lines: list[str], header: str) -> list[str]:
    start = lines.index(header) + 1
    end = next(i for i in range(start, len(lines)) if " | " not in lines[i])
    return lines[start:end]


TARGETS_HEADER = "一级指标 | 二级指标 | 三级指标 | 绩效指标描述 | 指标值 | 指标值确定依据"
SCORES_HEADER = "一级指标 | 二级指标 | 三级指标 | 预期指标值 | 实际完成值 | 分值 | 自评得分"


def test_many_indicators_are_capped_and_the_rest_summed_up(build, tmp_path):
    from conftest import ind

    # 120 产出 of 0.5 and 10 效益 of 1, all met: rows 2-131 of 绩效指标; the tables list the first 100
    indicators = [ind("产出指标", "数量指标", f"产出{i}", "≥100%", "100%", 0.5) for i in range(1, 121)] + [
        ind("效益指标", "社会效益指标", f"效益{i}", "≥100%", "100%", 1) for i in range(1, 11)
    ]
    lines = render(build(indicators=indicators), tmp_path / "r.docx")
    targets = table_after(lines, TARGETS_HEADER)
    assert len(targets) == 100 and targets[-1].startswith("产出指标 | 数量指标 | 产出100 |")
    after = lines[lines.index(TARGETS_HEADER) + 101]
    assert after == "本项目共设置绩效指标130项，上表只列出前100项，其余30项见工作簿“绩效指标”工作表第102行至第131行。"
    scores = table_after(lines, SCORES_HEADER)
    assert len(scores) == 1 + 100 + 2 + 1  # 预算执行率, 100 listed, one sum per 一级指标, 总分
    # the 20 产出 not listed: 20 × 0.5 = 10 of 10; the 10 效益: 10 of 10; total 60 + 10 + 9.4 = 79.4
    assert scores[-3:] == [
        "产出指标 |  | 其余20项指标合计 |  |  | 10 | 10",
        "效益指标 |  | 其余10项指标合计 |  |  | 10 | 10",
        "总分 | 79.4",
    ]
    assert lines[lines.index(SCORES_HEADER) + len(scores) + 1] == (
        "本项目共设置绩效指标130项，上表逐项列出前100项，其余30项按一级指标合计列示，"
        "逐项见工作簿“绩效指标”工作表第102行至第131行。"
    )
    outputs = lines[lines.index("（二）项目产出") + 1 : lines.index("（三）项目效益")]
    assert outputs[0] == "本项目设置产出指标120项，其中120项达到年度指标值。"
    assert len(outputs) == 1 + 100 + 1
    assert outputs[-1] == "另有20项产出指标未逐项列出，见工作簿“绩效指标”工作表第102行至第121行。"


def test_fifty_thousand_indicators_give_a_report(tmp_path):
    from conftest import ind, write_workbook

    from xlsx_eval.pipeline import report_workbook

    indicators = [ind("产出指标", "数量指标", f"指标{i}", "≥100%", "100%", 1) for i in range(1, 50_001)]
    path = write_workbook(tmp_path / "big.xlsx", indicators=indicators)
    dest = tmp_path / "r.docx"
    [result] = report_workbook(path, dest)  # in a worker with its memory ceiling, as the CLI runs it
    assert result.report == dest, [f.message for f in result.findings if f.code == "REPORT_FAILED"]
    lines = body_lines(dest)
    assert len(table_after(lines, TARGETS_HEADER)) == 100
    assert (
        "本项目共设置绩效指标50000项，上表只列出前100项，其余49900项见工作簿“绩效指标”工作表第102行至第50001行。"
    ) in lines
    assert "产出指标 |  | 其余49900项指标合计 |  |  | 49900 | 49900" in lines


def test_a_memory_failure_is_not_blamed_on_the_disk(example, tmp_path, monkeypatch):
    from xlsx_eval import pipeline
    from xlsx_eval.report.word import ReportOptions

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pipeline, "write_report", exhausted)
    [(wb, result)] = _evaluate(example, national())
    pipeline._write_report(wb, result, tmp_path / "r.docx", ReportOptions())
    [failed] = [f for f in result.findings if f.code == "REPORT_FAILED"]
    assert failed.message.startswith("自评报告过大，超出可用内存，未能写出")
    assert "写入" not in failed.message and "MemoryError" not in failed.message
    assert not result.transient  # another try would run out the same way


# --- the Word report's layout (item 15) ---


def effective(paragraph, read):
    """A paragraph property as Word resolves it: the paragraph's own, else its style's, then the base styles."""
    value = read(paragraph.paragraph_format)
    style = paragraph.style
    while value is None and style is not None:
        value = read(style.paragraph_format)
        style = style.base_style
    return value


def test_table_columns_cells_and_headings_are_laid_out_to_read(example, tmp_path):
    from docx.enum.text import WD_LINE_SPACING

    dest = tmp_path / "r.docx"
    render(example, dest)
    doc = docx.Document(str(dest))
    _goals, targets, scores, _team = doc.tables
    # 五号 is 10.5 pt: 满意度指标 and 预算执行率 are five characters, 52.5 pt = 1050 twips, plus the Table
    # Grid's cell margins of 108 twips a side
    assert doc.styles["表格文字"].font.size == Pt(10.5)
    one_line = 5 * 210 + 2 * 108
    for table in (targets, scores):
        grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.iter(qn("w:gridCol"))]
        assert grid[0] >= one_line, grid
        assert table.rows[1].cells[0].width.twips >= one_line
    score_grid = [int(col.get(qn("w:w"))) for col in scores._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert score_grid[3] >= one_line and score_grid[4] >= one_line  # 预期指标值, 实际完成值
    assert score_grid[6] >= 4 * 210 + 2 * 108  # 自评得分
    assert sum(score_grid) <= 156 * 56.7 + 1  # within the 156 mm type area (56.7 twips a mm)
    # every cell on single lines, not the body's fixed 29 pt
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    assert effective(p, lambda f: f.line_spacing_rule) == WD_LINE_SPACING.SINGLE, p.text
    opening = next(p for p in doc.paragraphs if p.text.startswith("根据"))
    assert effective(opening, lambda f: f.line_spacing) == Pt(29)  # the body keeps its line
    # a heading keeps with what follows it; no paragraph leaves one line alone at a page's foot or head
    headings = [p for p in doc.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert len(headings) == len(SEED_HEADINGS) - 1
    for p in headings:
        assert effective(p, lambda f: f.keep_with_next) is True, p.text
        assert effective(p, lambda f: f.keep_together) is True, p.text
    assert doc.styles["Normal"].paragraph_format.widow_control is True
    [lead] = [p for p in doc.paragraphs if p.text == "年度绩效指标完成情况如下表："]
    assert lead.paragraph_format.keep_with_next is True  # the sentence that introduces the table goes with it


def test_the_execution_rate_has_its_own_row_first(build, tmp_path):
    # 全年执行数 28 of 35 = 80%, 预算执行率分值 20 → 16; on 评分结果 the same: its own row, first
    path = build(info={"全年执行数": 28, "预算执行率分值": 20}, payments=[(datetime.date(2020, 3, 1), "设备", 28)])
    lines = render(path, tmp_path / "r.docx")
    scores = table_after(lines, SCORES_HEADER)
    assert scores[0] == "预算执行率 |  |  | 100% | 80% | 20 | 16"
    assert not any("预算执行率指标" in row for row in scores)
    assert scores[1] == "产出指标 | 成本指标 | 经费严格控制在预算内 | ≥100% | 100% | 10 | 10"
    # the seed's nine indicators weigh and score 90, and the 预算执行率 16: 106
    assert scores[-1] == "总分 | 106"


# --- amounts whose unit looks mixed up (item 5) ---


def test_a_ledger_in_yuan_is_not_reported_as_wan_yuan(build, tmp_path):
    from conftest import SEED_PAYMENTS

    # the seed's payments typed in 元 (×10000) under 金额单位 万元: 328800 in all, not 328800万元
    in_yuan = [(day, what, round(amount * 10000)) for day, what, amount in SEED_PAYMENTS]
    lines = render(build(payments=in_yuan), tmp_path / "r.docx")
    text = "\n".join(lines)
    assert "328800" not in text and "143000" not in text and "合计支出" not in text
    assert (
        "2020年度长安区委办公室值班视频系统安装经费的金额单位疑似填错，预算和资金执行情况见“预算执行情况”一节的说明。"
        in lines
    )
    section = lines[lines.index("（一）预算执行情况") + 1 : lines.index("（二）项目产出")]
    assert section == [
        "需要说明的是：“支出明细”中的金额与其他金额相差悬殊，金额单位疑似填错（元与万元填混）。"
        "为免列出错误的金额，本报告暂不列示预算执行金额和各笔支出；请核对各项金额是否都按万元填写，更正后重新生成本报告。"
    ]


def test_a_bureaus_template_gets_no_mixed_up_figure_either(build, tmp_path):
    from conftest import SEED_PAYMENTS

    in_yuan = [(day, what, round(amount * 10000)) for day, what, amount in SEED_PAYMENTS]
    own = template_with(tmp_path, "合计支出{{ ledger_total }}{{ money_unit }}，预算{{ budget }}{{ money_unit }}。")
    assert render(build(payments=in_yuan), tmp_path / "r.docx", own) == [
        "合计支出（金额单位疑似填错）万元，预算35万元。"
    ]


def test_a_figure_of_the_project_in_yuan_is_named_not_printed(build, tmp_path):
    # 资金到位数 350000 (元) against a 全年预算数 of 35 万元; it is B8 (the eighth row of 项目信息: see conftest)
    lines = render(build(info={"资金到位数": 350000}), tmp_path / "r.docx")
    text = "\n".join(lines)
    assert "350000" not in text and "合计支出" not in text
    assert (
        "需要说明的是：“项目信息”中的资金到位数（B8）与其他金额相差悬殊，金额单位疑似填错（元与万元填混）。"
        "为免列出错误的金额，本报告暂不列示预算执行金额；请核对各项金额是否都按万元填写，更正后重新生成本报告。"
    ) in lines
    assert (
        "2020年1月30日，值班室视频系统安装经费支出14.3万元；候会议室视频系统安装经费支出4.82万元；"
        "购置会议室音频设备支出8.11万元。" in lines
    )  # the ledger is in 万元: its payments are listed
