"""``--format junit``: JUnit XML, one ``<testcase>`` per run x tag.

As mypy does, ``<failure>`` means the check ran and failed (findings at or above ``fail_on``),
``<error>`` means the run could not be checked (no series or no fit); the messages are the
findings'. CI systems (GitLab, Jenkins, GitHub test reporters) show each run x tag as a test.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lraudit.describe import describe_fit, describe_schedule
from lraudit.report.base import Options, could_not_audit, failing
from lraudit.types import AuditReport, Finding


def _finding_line(f: Finding) -> str:
    where = f" (step {f.step})" if f.step is not None else ""
    return f"{f.severity.value} {f.code} {f.name}: {f.message}{where}"


def format_junit(report: AuditReport, options: Options | None = None) -> str:
    """The report as a JUnit XML document (UTF-8 declaration, indented, deterministic)."""
    opts = options or Options()
    suites = ET.Element("testsuites", name="lraudit")
    suite = ET.SubElement(suites, "testsuite", name="lraudit")
    n_fail = n_err = 0
    for r in report.runs:
        case = ET.SubElement(
            suite, "testcase", classname=f"lraudit.{r.run}", name=r.tag, file=str(report.path)
        )
        lines = [_finding_line(f) for f in r.findings]
        if could_not_audit(r):
            n_err += 1
            msg = r.findings[0].message if r.findings else "the run could not be audited"
            el = ET.SubElement(case, "error", message=msg, type="lraudit.not_audited")
            el.text = "\n".join(lines) or msg
        else:
            bad = failing(r, opts.fail_on)
            if bad:
                n_fail += 1
                el = ET.SubElement(
                    case, "failure", message=bad[0].message, type=f"{bad[0].code} {bad[0].name}"
                )
                el.text = "\n".join(_finding_line(f) for f in bad)
        out = [f"inferred: {describe_fit(r.fit)}"]
        if r.intended is not None:
            out.append(f"intended: {describe_schedule(r.intended.schedule)}")
        out += lines
        out += [f"note: {n}" for n in dict.fromkeys(r.notes)]
        ET.SubElement(case, "system-out").text = "\n".join(out)
    for run, why in report.failed:  # runs whose files could not be read (or whose worker died)
        n_err += 1
        case = ET.SubElement(
            suite, "testcase", classname=f"lraudit.{run}", name="(not audited)", file=report.path
        )
        ET.SubElement(case, "error", message=why, type="lraudit.not_audited").text = why
    for el in (suites, suite):
        el.set("tests", str(len(report.runs) + len(report.failed)))
        el.set("failures", str(n_fail))
        el.set("errors", str(n_err))
    suite.set("skipped", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
