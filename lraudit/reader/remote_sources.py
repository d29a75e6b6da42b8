"""Text log sources under a URL: the same readers as local paths (:mod:`lraudit.reader.sources`).

A URL logdir without event files, a URL naming one text source, and a URL run folder whose
event files hold no LR tag are read by copying the files those readers may look at into a
private temporary copy (:class:`lraudit.reader.mirror.Mirror`) and reading the copy; every path
in the result is the URL again. What is copied:

* by name: ``trainer_state.json`` (of ``checkpoint-N`` folders only the highest N, the one
  :func:`~lraudit.reader.sources.find_sources` reads), detectron2 ``metrics.json`` and ``*.csv``
  (Lightning, W&B, TensorBoard exports): first their first
  :data:`~lraudit.reader.loggers.SNIFF_BYTES` (enough to recognise the writer), then the whole
  file only when a reader recognises it;
* W&B run files ``run-<id>.wandb``;
* MLflow file stores: ``meta.yaml``, ``metrics/**`` and ``tags/mlflow.runName`` of each run
  (never ``artifacts/``).

Budgets are the local ones: a file above :func:`~lraudit.reader.loggers.max_source_bytes` is
refused with the usual message (its bytes are not downloaded), and one read copies at most
:data:`TOTAL_FACTOR` times that budget in all.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from lraudit.errors import LrauditError
from lraudit.reader import fs, loggers, sources
from lraudit.reader.mirror import Mirror
from lraudit.reader.wandb_offline import is_wandb_run_file
from lraudit.types import LRSeries

#: one read copies at most this many times the per-file budget in all
TOTAL_FACTOR = 4
_NAMED = ("trainer_state.json", "metrics.json")
_CKPT = re.compile(r"checkpoint-(\d+)$")

Result = tuple[list[LRSeries], list[str]]


def _mirror(base: str) -> Mirror:
    return Mirror(base, TOTAL_FACTOR * loggers.max_source_bytes())


def _sniffed(name: str) -> bool:
    """A file recognised by its first bytes (copied whole only once recognised)."""
    return name in _NAMED or name.lower().endswith(".csv")


def _is_mlflow_file(parts: list[str], files: dict[str, int]) -> bool:
    name = parts[-1]
    if name == "meta.yaml":
        return True
    for i in range(len(parts) - 1):
        if parts[i] in ("metrics", "tags") and "/".join([*parts[:i], "meta.yaml"]) in files:
            return parts[i] == "metrics" or (i == len(parts) - 2 and name == "mlflow.runName")
    return False


def _candidates(files: dict[str, int]) -> list[str]:
    """The files below a logdir URL the source readers may look at (see the module docstring)."""
    best: dict[str, tuple[int, str]] = {}
    out: list[str] = []
    for rel in files:
        parts = rel.split("/")
        name = parts[-1]
        if "tfevents" in name or "artifacts" in parts[:-1]:
            continue
        if name == "trainer_state.json" and len(parts) >= 2 and (m := _CKPT.match(parts[-2])):
            above = "/".join(parts[:-2])
            if above not in best or int(m.group(1)) > best[above][0]:
                best[above] = (int(m.group(1)), rel)
            continue
        if _sniffed(name) or is_wandb_run_file(name) or _is_mlflow_file(parts, files):
            out.append(rel)
    return sorted(out + [rel for _, rel in best.values()])


def _copy(m: Mirror, url: str, name: str) -> None:
    """Copy ``url``: a sniffed file whole only when a reader recognises its first bytes."""
    limit = loggers.max_source_bytes()
    if not _sniffed(name):
        m.fetch(url, limit=limit, head=loggers.SNIFF_BYTES)
        return
    local = m.fetch(url, limit=0, head=loggers.SNIFF_BYTES)
    size = local.stat().st_size
    if size <= loggers.SNIFF_BYTES or size > limit:
        return  # whole already, or above the budget (the reader refuses it by its size)
    if name == "trainer_state.json" or sources.kind_of_file(local) is not None:
        local.unlink()
        m.fetch(url, limit=limit, head=loggers.SNIFF_BYTES)


def read_url_file(url: str, wanted: str | Sequence[str] | None, run: str | None) -> Result:
    """:func:`lraudit.reader.sources.read_source` for a URL naming one text source."""
    with _mirror(fs.parent(url)) as m:
        limit = loggers.max_source_bytes()
        local = m.fetch(url, limit=limit, head=loggers.SNIFF_BYTES)
        try:
            got = sources.read_source(local, wanted, run)
        except LrauditError as e:
            raise m.error(e) from None
        return m.rebase(got)


def read_url_dir(url: str, wanted: str | Sequence[str] | None, run: str | None) -> Result | None:
    """:func:`~lraudit.reader.sources.find_sources` + ``read_sources`` for a logdir URL without
    event files; None when it holds no text source either."""
    files = fs.files_under(url)
    picked = _candidates(files)
    if not picked:
        return None
    with _mirror(url) as m:
        for rel in picked:
            _copy(m, fs.join(url, rel), posixpath.basename(rel))
        found = sources.find_sources(m.root)
        if not found:
            return None
        try:
            got = sources.read_sources(found, wanted, run)
        except LrauditError as e:
            raise m.error(e) from None
        return m.rebase(got)


def read_url_beside(run_url: str, run: str, wanted: str | Sequence[str] | None) -> list[LRSeries]:
    """:func:`~lraudit.reader.sources.read_beside` for a run folder URL."""
    names = [n for n, is_dir, _ in fs.listdir(run_url) if not is_dir and _sniffed(n)]
    if not names:
        return []
    with _mirror(run_url) as m:
        for n in names:
            _copy(m, fs.join(run_url, n), n)
        return m.rebase(sources.read_beside(m.root, run, wanted))


__all__ = ["read_url_beside", "read_url_dir", "read_url_file"]
