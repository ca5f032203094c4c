"""xlsx-eval: 财政支出绩效自评 from a standard Excel workbook.

Using it as a library::

    from xlsx_eval import evaluate, convert
    [result] = evaluate("长安区委办.xlsx")        # check and score, write nothing: a result per form
    results = convert("长安区委办.xlsx", "out")   # also write out/长安区委办.scored.xlsx
    [result] = report_workbook("长安区委办.xlsx", "自评报告.docx")  # the 自评报告 in Word
    print(result.total, result.grade, [f.to_dict() for f in result.findings])
    frame = to_frame(results)                     # as a pandas DataFrame: one row per form (findings=True: per finding)
"""

__version__ = "0.2.0"
__all__ = ["evaluate", "convert", "report_workbook", "write_template", "to_frame", "Rules", "Result", "Finding"]


def __getattr__(name: str):
    # Imported on first use, so that `xlsx-eval --help` does not pay for the parsers.
    if name in ("evaluate", "convert", "report_workbook"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "write_template":
        from .write.template import write_template

        return write_template
    if name == "to_frame":
        from .frames import to_frame

        return to_frame
    if name == "Rules":
        from .score.rules import Rules

        return Rules
    if name == "Result":
        from .model import Result

        return Result
    if name == "Finding":
        from .findings import Finding

        return Finding
    raise AttributeError(f"module 'xlsx_eval' has no attribute {name!r}")
