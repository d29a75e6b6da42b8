"""``python -m lraudit``: the same as the ``lraudit`` command."""

from __future__ import annotations

from lraudit.cli import main_entry

if __name__ == "__main__":
    main_entry()
