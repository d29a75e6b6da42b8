"""Refresh the command outputs quoted in README.md and docs/cli.md by running the commands.

Every block of the form::

    <!-- cli: lraudit report fixtures/demo/logs --config fixtures/demo/pipeline.config -->
    ```console
    ...
    ```
    <!-- /cli -->

is replaced by ``$ <command>``, what it printed (stdout, then stderr) and its exit status, run
from the repository root with this interpreter (``python -m lraudit``). Optional ``| head -N``
keeps the first N lines. Run after any change to the outputs: ``python scripts/update_cli_docs.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = (REPO / "README.md", REPO / "docs" / "cli.md")
BLOCK = re.compile(r"(<!-- cli: (?P<cmd>.+?) -->\n)```console\n.*?```\n(<!-- /cli -->)", re.S)


def run(cmd: str) -> str:
    head = None
    if "| head -" in cmd:
        cmd, _, n = cmd.partition("| head -")
        head = int(n)
    argv = shlex.split(cmd)
    assert argv[0] == "lraudit", cmd
    env_cmd = [sys.executable, "-m", "lraudit", *argv[1:]]
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    proc = subprocess.run(
        env_cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    out = proc.stdout + proc.stderr
    lines = out.splitlines()
    if head is not None and len(lines) > head:
        lines = lines[:head] + ["..."]
    shown = cmd.strip() + (f" | head -{head}" if head else "")
    return f"$ {shown}\n" + "\n".join(lines) + f"\n$ echo $?\n{proc.returncode}\n"


def main() -> int:
    def repl(m: re.Match[str]) -> str:
        return f"{m.group(1)}```console\n{run(m.group('cmd'))}```\n{m.group(3)}"

    for doc in DOCS:
        new, n = BLOCK.subn(repl, doc.read_text(encoding="utf-8"))
        doc.write_text(new, encoding="utf-8")
        print(f"refreshed {n} block(s) in {doc.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
