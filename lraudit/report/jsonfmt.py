"""``--format json``: the JSON report, schema_version 1 (see :mod:`lraudit.report.data`)."""

from __future__ import annotations

import json

from lraudit.report.base import Options
from lraudit.report.data import to_data
from lraudit.types import AuditReport


def format_json(report: AuditReport, options: Options | None = None) -> str:
    """The report as indented, key-ordered-as-documented strict JSON, ending with a newline."""
    return json.dumps(to_data(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
