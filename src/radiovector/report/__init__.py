"""The run report: a self-contained HTML page (figures embedded), readable without the code."""

from radiovector.report.html import build_report

__all__ = ["build_report"]
