"""The ``lraudit`` command (placeholder until the CLI lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("lraudit: the command line is not built yet", file=sys.stderr)
    return 2


def main_entry() -> None:
    sys.exit(main())
