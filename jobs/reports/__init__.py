"""Improvement reports: the weekly and monthly figures, their rendering (HTML, PDF, CSV, XLSX) and e-mail delivery.

`operations` makes, finds and exports reports; `figures.build_figures` computes what a report shows from the parts
(`records`, `service`, `quality`, `knowledge`, `needs`, `recommendations`), over rows kept per day (`days`).
"""

from jobs.reports.operations import (
    EXPORT_FORMATS,
    export_report,
    find_report,
    generate_report,
    list_reports,
    report_data,
    report_locale,
)

__all__ = [
    "EXPORT_FORMATS",
    "export_report",
    "find_report",
    "generate_report",
    "list_reports",
    "report_data",
    "report_locale",
]
