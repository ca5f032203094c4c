"""Findings: located, coded problems in a workbook. Codes are stable; never rename one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: Each severity, worst first: how it is named to the people who read the findings, and the fill that marks
#: its cells (in the scored copy and on 评分结果). Everything that shows findings takes these from here.
_SEVERITIES = {"error": ("错误", "FFC7CE"), "warning": ("警告", "FFEB9C"), "info": ("提示", "DDEBF7")}
SEVERITY_LABELS = {severity: label for severity, (label, _) in _SEVERITIES.items()}
SEVERITY_COLOURS = {severity: colour for severity, (_, colour) in _SEVERITIES.items()}
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(_SEVERITIES)}  # 0 the worst

#: Every finding code, with its severity and what it means (in the language of the people who read it).
CODES: dict[str, tuple[Severity, str]] = {
    # file level
    "UNREADABLE_FILE": (Severity.ERROR, "文件无法读取"),
    "MISSING_SHEET": (Severity.ERROR, "缺少必需的工作表"),
    "MISSING_COLUMN": (Severity.ERROR, "缺少必需的列"),
    "MISSING_FIELD": (Severity.ERROR, "项目信息缺少必填项"),
    "NO_INDICATORS": (Severity.ERROR, "没有填写绩效指标"),
    "WRITE_FAILED": (Severity.ERROR, "评分后的工作簿无法写出"),
    "REPORT_FAILED": (Severity.ERROR, "自评报告无法写出"),
    "NAME_SHORTENED": (Severity.INFO, "文件名过长，输出文件改用较短的名称"),
    # cell level
    "BAD_NUMBER": (Severity.ERROR, "不是有效数字"),
    "BAD_DATE": (Severity.ERROR, "不是有效日期"),
    "BAD_TARGET": (Severity.ERROR, "年度指标值无法识别"),
    "MISSING_ACTUAL": (Severity.ERROR, "未填写实际完成值"),
    "UNKNOWN_LEVEL": (Severity.ERROR, "定性指标的完成情况无法识别"),
    "UNIT_MISMATCH": (Severity.ERROR, "指标值与实际值单位不一致"),
    "FORMULA_NO_VALUE": (Severity.ERROR, "公式单元格没有保存的计算结果"),
    "FORMULA_ERROR": (Severity.ERROR, "单元格显示公式错误（如 #DIV/0!）"),
    "BAD_EMAIL": (Severity.WARNING, "邮箱格式不正确"),
    "CONTROL_CHARS": (Severity.WARNING, "文字中有不可见的控制字符，已删除"),
    # scoring
    "WEIGHT_SUM": (Severity.WARNING, "分值合计不等于100"),
    "MISSING_DEVIATION_REASON": (Severity.WARNING, "未达满分但未填写偏差原因"),
    "OVERACHIEVED": (Severity.WARNING, "实际值远超指标值，指标值可能偏低"),
    "CLAIMED_SCORE_MISMATCH": (Severity.WARNING, "填报的自评得分与计算结果不符"),
    "MISSING_PROPOSED_SCORE": (Severity.WARNING, "定性指标未达成，需单位自行填报得分"),
    "NOT_APPLICABLE": (Severity.INFO, "指标不适用，总分已折算"),
    "DEVIATION_DEDUCTION": (Severity.WARNING, "指标偏离，按规则扣分"),
    "TOTAL_CAPPED": (Severity.WARNING, "总分按评分规则封顶（执行率偏低，或预算调整未说明原因）"),
    "TOTAL_DEDUCTED": (Severity.WARNING, "按评分规则扣减了总分"),
    # reconciliation (scoring.md §6)
    "EXECUTED_MISMATCH": (Severity.ERROR, "全年执行数与支出明细合计不符"),
    "OVER_BUDGET": (Severity.ERROR, "执行数超过预算数"),
    "OVER_RECEIVED": (Severity.WARNING, "执行数超过资金到位数"),
    "FISCAL_EXCEEDS_RECEIVED": (Severity.WARNING, "财政资金超过资金到位数"),
    "DATE_OUT_OF_YEAR": (Severity.WARNING, "支出日期不在评价年度内"),
    "DUPLICATE_EXPENSE": (Severity.WARNING, "疑似重复支出"),
    "BAD_AMOUNT": (Severity.ERROR, "支出金额不是有效数字"),
    "NEGATIVE_AMOUNT": (Severity.WARNING, "支出金额为零或负数"),
    "UNIT_SUSPECT": (Severity.WARNING, "金额疑似单位填错（元与万元）"),
    "NO_LEDGER": (Severity.INFO, "支出明细未填写，未做核对"),
    "LEDGER_MISSING": (Severity.WARNING, "没有支出明细表，支出未能与明细核对"),
    # what was read differently from how it was typed (so that the answer is right, and the person knows why)
    "SHEET_NAME_NEAR": (Severity.INFO, "工作表名称与标准模板不同，已按相近的名称读取"),
    "FORMULA_LITERAL": (Severity.INFO, "以“=”开头的指标值被当作公式，已按输入的文字读取"),
    "SCALE_MISMATCH": (Severity.WARNING, "指标值与实际值一个是百分数、一个不是，数量级可能不一致"),
    "PART_DROPPED": (Severity.WARNING, "工作簿中有路径异常的部件，评分后的副本已将其删除"),
    # the national form (national-form.md)
    "CLAIMED_TOTAL_MISMATCH": (Severity.WARNING, "填报的总分与计算结果不符"),
    "EXECUTION_RATE_MISMATCH": (Severity.WARNING, "填报的执行率不等于全年执行数除以全年预算数"),
    "FUNDS_ROWS_MISMATCH": (Severity.ERROR, "项目资金的“其中”各行之和与合计行不符"),
    # the bureau's review (review.md): where a reviewer should look first
    "SCORE_OUTRUNS_SPENDING": (Severity.WARNING, "指标得分率明显高于预算执行率"),
    "UNSPENT_SHARE": (Severity.WARNING, "预算资金结余较多"),
    "BUDGET_ADJUSTED": (Severity.WARNING, "预算调整幅度较大且未说明原因"),
    "VAGUE_TARGET": (Severity.WARNING, "数量、质量、时效、成本指标的指标值没有数字，无法衡量"),
    "PLACEHOLDER_INDICATOR": (Severity.WARNING, "指标名称像是占位文字或与指标值相同"),
    "ACTUAL_COPIES_TARGET": (Severity.WARNING, "多数指标的实际完成值照抄指标值"),
    "SATISFACTION_NO_SURVEY": (Severity.INFO, "满意度很高但没有说明调查方式"),
    "NO_COST_INDICATOR": (Severity.INFO, "没有设置成本指标"),
    "LOW_SCORE_NO_MEASURES": (Severity.WARNING, "总分偏低但没有填写问题和改进措施"),
    "TARGET_CHANGED": (Severity.ERROR, "指标值与绩效目标申报表申报的不同"),
    "INDICATOR_DROPPED": (Severity.WARNING, "申报的绩效指标在自评表中缺失"),
    "INDICATOR_ADDED": (Severity.WARNING, "自评表中有申报时没有的绩效指标"),
}


@dataclass(frozen=True)
class Finding:
    """One problem, at one cell ("" for the whole file or sheet)."""

    severity: Severity
    code: str
    sheet: str
    cell: str
    message: str

    def to_dict(self) -> dict[str, str]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet


def finding(code: str, sheet: str, cell: str, message: str) -> Finding:
    """A finding with the severity its code carries."""
    severity, _ = CODES[code]
    return Finding(severity, code, sheet, cell, message)
