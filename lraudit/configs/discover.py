"""Find the config a run's framework saved beside it.

Frameworks write the config of a run next to its logs; :func:`find_run_config` looks for it
from the run directory (the one holding the event files) up to the logdir root, nearest first,
and at each level in this order:

==========================  =================================================================
framework                   file (where the framework writes it)
==========================  =================================================================
YOLOv5 / YOLOv7             ``opt.yaml`` + ``hyp.yaml`` in ``runs/train/exp*/`` (the run dir)
Ultralytics                 ``args.yaml`` in ``runs/<task>/train*/`` (the run dir)
timm / Keras scripts        ``args.yaml`` in the output dir
detectron2                  ``config.yaml`` in ``OUTPUT_DIR`` (beside the event file)
LightningCLI                ``config.yaml`` in ``lightning_logs/version_N/``
Lightning                   ``hparams.yaml`` in ``lightning_logs/version_N/``
MMEngine                    ``<config name>.py`` in the work_dir (``work_dirs/<config name>/``)
                            and ``config.py`` in ``<timestamp>/vis_data/``
OD API                      ``pipeline.config`` in the model dir (the parent of ``train/``)
HF Trainer                  the ``args`` text the TensorBoard callback writes into the event
                            file (in the run dir), else ``trainer_state.json`` in the output
                            dir or its newest ``checkpoint-N/``
==========================  =================================================================

A candidate counts only when a config parser recognises it (:func:`lraudit.configs.detect_format`).
Cheap by construction: only the named files of each level are looked at (files over
:data:`MAX_CONFIG_BYTES` are skipped), a directory listing only for ``*.py`` and
``checkpoint-*``, and the event-file check reads at most :data:`EVENT_SCAN_BYTES` per file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lraudit.errors import ConfigError

#: config files larger than this are not read (a config is a few KB)
MAX_CONFIG_BYTES = 2_000_000
#: bytes of each event file scanned for the HF ``args`` text (written when training begins)
EVENT_SCAN_BYTES = 4_000_000
#: most directory levels walked up from the run dir when the logdir root is not an ancestor
MAX_LEVELS = 6
#: most entries of a directory listed (for ``*.py`` / ``checkpoint-*``)
MAX_LISTING = 2000


@dataclass(frozen=True)
class FoundConfig:
    """A config found for a run: ``path``, its ``format`` (a parser name), ``how`` it was found
    (one phrase, for the report) and ``distance`` (levels above the run dir, 0 = in it)."""

    path: Path
    format: str
    how: str
    distance: int = 0


#: what one directory level gives: (config path, format, how) or None; keyed by (directory,
#: whether it is the run directory itself, its modification time: a file added or removed
#: there since is seen, e.g. by ``lraudit watch``)
LevelMemo = dict[tuple[Path, bool, int], "tuple[Path, str, str] | None"]


def find_run_config(
    run_dir: str | Path, logdir_root: str | Path, memo: LevelMemo | None = None
) -> FoundConfig | None:
    """The config the run's framework saved nearest to ``run_dir``, or None.

    Walks from ``run_dir`` up to ``logdir_root`` (inclusive); when ``logdir_root`` is not an
    ancestor of ``run_dir``, at most :data:`MAX_LEVELS` levels. ``memo`` (one dict per audit)
    keeps what each level gave, so that the levels many runs share (the logdir root, an
    experiment folder) are probed once, not once per run.
    """
    run = Path(run_dir).resolve()
    root = Path(logdir_root).resolve()
    if run.is_file():
        run = run.parent
    for dist, d in enumerate(_levels(run, root)):
        key = (d, dist == 0, _mtime(d))
        if memo is not None and key in memo:
            got = memo[key]
        else:
            got = _probe_level(d, dist)
            if memo is not None:
                memo[key] = got
        if got is not None:
            path, fmt, how = got
            where = "in the run directory" if dist == 0 else f"{dist} level(s) above the run"
            return FoundConfig(path, fmt, f"{how}, {where}", dist)
    return None


def _mtime(d: Path) -> int:
    try:
        return d.stat().st_mtime_ns
    except OSError:
        return -1


def _probe_level(d: Path, dist: int) -> tuple[Path, str, str] | None:
    """The first config a probe finds in the directory ``d`` (``dist`` levels above the run).

    ``d`` is listed once: a named file that is not in the listing is not stat'ed (a report on
    100 runs asked the file system ~3,000 questions for files that were not there)."""
    try:
        _LISTED[d] = _casefolded(d)
        for probe in _PROBES:
            for path, how in probe(d, dist):
                fmt = _format(path)
                if fmt is not None:
                    return path, fmt, how
        return None
    finally:
        _LISTED.clear()


#: directory -> the case-folded names it holds (None: it could not be listed), while
#: :func:`_probe_level` probes it
_LISTED: dict[Path, frozenset[str] | None] = {}


def _casefolded(d: Path) -> frozenset[str] | None:
    try:
        names = os.listdir(d)
    except OSError:
        return None  # then each named file is stat'ed, as it may still be readable
    if len(names) > MAX_LISTING:
        return None
    return frozenset(n.casefold() for n in names)


def _levels(run: Path, root: Path) -> Iterator[Path]:
    inside = run == root or root in run.parents
    d = run
    for _ in range(64 if inside else MAX_LEVELS):
        yield d
        if d == root or d.parent == d:
            return
        d = d.parent


def _format(path: Path) -> str | None:
    """The parser name for ``path`` when one recognises it (small text files only)."""
    from lraudit.configs.load import detect_format

    try:
        if "tfevents" not in path.name and path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        return detect_format(path)
    except (ConfigError, OSError):
        return None


Probe = Callable[[Path, int], Iterator[tuple[Path, str]]]


def _file(d: Path, name: str) -> Path | None:
    names = _LISTED.get(d)
    if names is not None and name.casefold() not in names:
        return None  # case-folded: a case-insensitive file system finds "Opt.yaml" as well
    p = d / name
    return p if p.is_file() else None


def _yolo(d: Path, dist: int) -> Iterator[tuple[Path, str]]:
    opt, hyp = _file(d, "opt.yaml"), _file(d, "hyp.yaml")
    if opt is not None:
        yield (
            opt,
            "opt.yaml" + (" + hyp.yaml" if hyp else "") + " written by YOLOv5/YOLOv7 train.py",
        )
    elif hyp is not None:
        yield hyp, "hyp.yaml written by YOLOv5/YOLOv7 train.py"


def _args(d: Path, dist: int) -> Iterator[tuple[Path, str]]:
    p = _file(d, "args.yaml")
    if p is not None:
        yield p, "args.yaml (Ultralytics / timm)"


def _config_yaml(d: Path, dist: int) -> Iterator[tuple[Path, str]]:
    for name, how in (
        ("config.yaml", "config.yaml (detectron2 OUTPUT_DIR / LightningCLI)"),
        ("hparams.yaml", "hparams.yaml (Lightning)"),
    ):
        p = _file(d, name)
        if p is not None:
            yield p, how


def _listing(d: Path) -> list[Path]:
    out = []
    try:
        for i, p in enumerate(d.iterdir()):
            if i >= MAX_LISTING:
                break
            out.append(p)
    except OSError:
        return []
    return sorted(out, key=lambda p: p.name)  # one directory: by name, as Path orders them


def _mmengine(d: Path, dist: int) -> Iterator[tuple[Path, str]]:
    named = _file(d, d.name + ".py")
    if named is not None:
        yield named, "the config MMEngine dumped into its work_dir"
    cfg = _file(d, "config.py")
    if cfg is not None:
        yield cfg, "config.py (MMEngine vis_data)"
    if named is None and d.name == "vis_data":
        return
    pys = [p for p in _listing(d) if p.suffix == ".py" and p.is_file() and p != named and p != cfg]
    if len(pys) == 1:  # a work_dir holds the one config it dumped
        yield pys[0], "the config MMEngine dumped into its work_dir"


def _odapi(d: Path, dist: int) -> Iterator[tuple[Path, str]]:
    p = _file(d, "pipeline.config")
    if p is not None:
        yield p, "pipeline.config in the OD API model dir"


def _hf(d: Path, dist: int) -> Iterator[tuple[Path, str]]:
    if dist == 0:
        for ev in _event_files(d):
            if _has_args_text(ev):
                yield (
                    ev,
                    "the TrainingArguments the HF TensorBoard callback wrote into the event file",
                )
                break
    state = _file(d, "trainer_state.json")
    if state is not None:
        yield state, "trainer_state.json (HF Trainer)"
        return
    ckpts = [p for p in _listing(d) if p.is_dir() and re.fullmatch(r"checkpoint-\d+", p.name)]
    ckpts.sort(key=lambda p: int(p.name.split("-")[1]), reverse=True)
    for c in ckpts[:3]:
        s = _file(c, "trainer_state.json")
        if s is not None:
            yield s, f"trainer_state.json in {c.name} (HF Trainer)"
            return


def _event_files(d: Path) -> list[Path]:
    return [p for p in _listing(d) if "tfevents" in p.name and p.is_file()]


#: event file path -> ((device, inode, size, mtime ns), whether it holds the HF ``args`` text):
#: what :func:`_has_args_text` found, so that a file that did not change is not scanned again
#: (in this process, e.g. ``lraudit watch``; :mod:`lraudit.cache` keeps it between processes)
ARGS_SEEN: dict[str, tuple[tuple[int, int, int, int], bool]] = {}


def file_identity(path: str | Path) -> tuple[int, int, int, int] | None:
    """``(device, inode, size, mtime ns)`` of ``path``, None when it cannot be stat'ed."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _has_args_text(path: Path) -> bool:
    """True when the first :data:`EVENT_SCAN_BYTES` of ``path`` hold a text summary ``args``
    (remembered in :data:`ARGS_SEEN` while the file's identity, size and mtime stay)."""
    ident = file_identity(path)
    seen = ARGS_SEEN.get(str(path))
    if ident is not None and seen is not None and seen[0] == ident:
        return seen[1]
    found = _scan_args_text(path)
    if ident is not None and file_identity(path) == ident:  # not written meanwhile
        ARGS_SEEN[str(path)] = (ident, found)
    return found


def _scan_args_text(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(EVENT_SCAN_BYTES)
    except OSError:
        return False
    # the summary value's tag (field 1, length-prefixed): "args", or "args/text_summary" as
    # torch's and tensorboardX's add_text write it
    return b"\n\x04args" in head or b"\n\x11args/text_summary" in head


_PROBES: tuple[Probe, ...] = (_yolo, _args, _config_yaml, _mmengine, _odapi, _hf)
