"""Where Hugging Face runs keep their TrainingArguments: the ``args`` text the
``TensorBoardCallback`` writes into the event file, ``trainer_state.json`` in the run or its
newest ``checkpoint-N``, and the JSON dumps beside it. Read as data only (JSON), through the
project's CRC-checked event framing; used by :mod:`lraudit.configs.hf`.
"""

from __future__ import annotations

import json
import mmap
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lraudit.configs._intent import read_mapping
from lraudit.errors import ConfigError

__all__ = ["find_args_for_state", "find_trainer_state", "read_event_args"]


def _records_with(path: Path, needle: bytes) -> Iterator[bytes]:
    """Payloads of the CRC-checked records of event file ``path`` that contain ``needle``.

    Framing is :func:`lraudit.reader.framing.scan` (both CRCs checked; a damaged record ends
    the file, the records before it are kept), over a memory map so a large file costs no RAM.
    """
    from lraudit.reader.framing import scan

    try:
        with path.open("rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                framing = scan(buf)  # type: ignore[arg-type]
                for start, length in zip(
                    framing.starts.tolist(), framing.lengths.tolist(), strict=True
                ):
                    rec = buf[start : start + length]
                    if needle in rec:
                        yield rec
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_event_args(path: Path) -> dict[str, Any] | None:
    """The TrainingArguments JSON the HF ``TensorBoardCallback`` wrote as text tag ``args``.

    ``path`` is an event file or a run directory: only the event files directly in it are read
    (newest first), never its subdirectories (a directory such as ``/tmp`` holds unrelated
    event files deeper down). Returns None when no event file holds it. Nothing is executed:
    the text is parsed as JSON. Records are read through the project's CRC-checked framing.
    """
    from lraudit.reader.wire import WireError, summary_strings

    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(
            (p for p in path.iterdir() if "tfevents" in p.name and p.is_file()),
            key=lambda p: (p.stat().st_mtime, p.name),
            reverse=True,
        )
    else:
        raise ConfigError(f"{path}: not a regular file or a directory; pass an event file")
    for f in files:
        for rec in _records_with(f, b"args"):
            try:
                values = summary_strings(rec)
            except WireError:
                raise ConfigError(f"{f}: corrupt event record") from None
            data = _args_from_event(values)
            if data is not None:
                data["__source__"] = str(f)
                return data
    return None


def _args_from_event(values: list[tuple[str, bytes]]) -> dict[str, Any] | None:
    """The JSON object in the text of the first ``args`` (or ``args/...``) summary value."""
    for tag, raw in values:
        if tag != "args" and not tag.startswith("args/"):
            continue
        text = raw.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            # some writers wrap the JSON in markdown code fences
            first, last = text.find("{"), text.rfind("}")
            if first < 0 or last < first:
                continue
            try:
                data = json.loads(text[first : last + 1])
            except json.JSONDecodeError:
                continue
        if isinstance(data, dict):
            return data
    return None


def find_trainer_state(start: Path) -> Path | None:
    """``trainer_state.json`` next to ``start`` or in the newest ``checkpoint-N`` near it."""
    base = start if start.is_dir() else start.parent
    for d in (base, base.parent, base.parent.parent):
        direct = d / "trainer_state.json"
        if direct.is_file() and direct != start:
            return direct
        ckpts = sorted(
            (p for p in d.glob("checkpoint-*/trainer_state.json")),
            key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0),
        )
        if ckpts:
            return ckpts[-1]
    return None


def find_args_for_state(state_path: Path) -> tuple[dict[str, Any], str] | None:
    """A TrainingArguments source near a trainer_state.json (JSON dump or event-file text)."""
    base = state_path.parent
    for d in (base, base.parent):
        for name in ("training_args.json", "args.json"):
            p = d / name
            if p.is_file():
                return read_mapping(p, p.read_text(encoding="utf-8")), str(p)
    for d in (base, base.parent):
        runs = d / "runs"
        if runs.is_dir():
            data = read_event_args(runs)
            if data:
                return data, data.pop("__source__")
    return None
