"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One ``run`` whose ``tool.driver.rules`` are every finding of the vocabulary (id = code, name,
short and full description, help text and Markdown from :mod:`lraudit.findings_doc`, default
level), and one ``result`` per finding. A result's physical location is the run's config file
at the finding's line (``Finding.line``, when known), else the run's first log file; the run x
tag is its logical location. Paths are relative URIs when the report gives relative paths
(code scanning maps them onto the repository, ``%SRCROOT%``), ``file://`` URIs otherwise.
Levels: ``error`` -> ``error``, ``warning`` -> ``warning``, ``info`` -> ``note``.
The output is deterministic (no timestamps, no absolute paths added).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from lraudit._version import __version__
from lraudit.report.base import Options
from lraudit.types import AuditReport, Finding, RunAudit

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
INFO_URI = "https://github.com/lraudit/lraudit#findings"


def artifact_uri(path: str) -> dict[str, str]:
    """A SARIF ``artifactLocation`` for ``path``: relative (``%SRCROOT%``) or ``file://``.

    >>> artifact_uri("configs/a b.yaml")
    {'uri': 'configs/a%20b.yaml', 'uriBaseId': '%SRCROOT%'}
    >>> artifact_uri("/tmp/x.config")["uri"]
    'file:///tmp/x.config'
    """
    p = PurePath(path)
    if p.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(p.as_posix()), "uriBaseId": "%SRCROOT%"}


def rules() -> list[dict[str, Any]]:
    """One ``reportingDescriptor`` per finding of the vocabulary, in code order."""
    from lraudit.findings_doc import finding_docs, format_finding_doc

    out = []
    for d in finding_docs():
        text = f"{d.what}\n\nWhy it matters: {d.why}\n\nHow to fix: {d.fix}\n\nExample: {d.example}"
        out.append(
            {
                "id": d.code,
                "name": d.name,
                "shortDescription": {"text": d.summary or d.name},
                "fullDescription": {"text": d.what or d.name},
                "help": {"text": text, "markdown": format_finding_doc(d, "markdown")},
                "helpUri": INFO_URI,
                "defaultConfiguration": {"level": _LEVEL[d.severity.value]},
                "properties": {"tags": ["learning-rate", "lraudit"]},
            }
        )
    return out


def _location(report: AuditReport, run: RunAudit, f: Finding) -> dict[str, Any]:
    physical: dict[str, Any] | None = None
    if run.intended is not None and run.intended.source:
        physical = {"artifactLocation": artifact_uri(str(run.intended.source))}
        if f.line is not None and f.line >= 1:
            physical["region"] = {"startLine": int(f.line)}
    elif run.series is not None and run.series.files:
        physical = {"artifactLocation": artifact_uri(str(run.series.files[0]))}
    else:
        physical = {"artifactLocation": artifact_uri(str(report.path))}
    return {
        "physicalLocation": physical,
        "logicalLocations": [
            {"name": run.tag, "fullyQualifiedName": f"{run.run}/{run.tag}", "kind": "object"}
        ],
    }


def to_sarif(report: AuditReport) -> dict[str, Any]:
    """The SARIF 2.1.0 log of ``report`` as plain data."""
    table = rules()
    index = {r["id"]: i for i, r in enumerate(table)}
    results = []
    for r in report.runs:
        for f in r.findings:
            where = f" (step {f.step})" if f.step is not None else ""
            res: dict[str, Any] = {
                "ruleId": f.code,
                "level": _LEVEL[f.severity.value],
                "message": {"text": f"{f.message}{where} [{r.run} {r.tag}]"},
                "locations": [_location(report, r, f)],
                "properties": {"run": r.run, "tag": r.tag, "step": f.step, "name": f.name},
            }
            if f.code in index:
                res["ruleIndex"] = index[f.code]
            results.append(res)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lraudit",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": table,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "note",
                                "message": {"text": f"{n} [{r.run} {r.tag}]"},
                            }
                            for r in report.runs
                            for n in dict.fromkeys(r.notes)
                        ]
                        + [
                            {
                                "level": "warning",
                                "message": {"text": f"{run}: not audited: {why}"},
                            }
                            for run, why in report.failed
                        ],
                    }
                ],
            }
        ],
    }


def format_sarif(report: AuditReport, options: Options | None = None) -> str:
    """The report as an indented SARIF 2.1.0 JSON document."""
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


__all__ = ["SARIF_SCHEMA", "artifact_uri", "format_sarif", "rules", "to_sarif"]
