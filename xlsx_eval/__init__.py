"""xlsx-eval: 财政支出绩效自评 from a standard Excel workbook."""

__version__ = "0.1.0"
