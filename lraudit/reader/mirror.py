"""Private local copies of small remote files, for the readers that work on local paths.

The config parsers and the text log sources (``trainer_state.json``, TensorBoard CSV/JSON
exports, detectron2 ``metrics.json``, Lightning ``metrics.csv``, W&B CSV, MLflow file stores)
read :class:`pathlib.Path` objects. For a URL, the few files they may look at are copied
(through :func:`lraudit.reader.fs.open_url`, in ranged blocks) into a private temporary
directory (mode 0700, removed when the :class:`Mirror` closes), read there by the same code as
a local path, and every path in what comes back (series files and notes, a schedule's source
and assumptions, error messages) is given back as the URL.

Budgets: a copy never holds more than ``max_total`` bytes (:class:`~lraudit.errors.LogReadError`
naming the URL past it). A file above a reader's own size budget is not downloaded: its first
``head`` bytes are (enough to recognise its shape) and the rest is a sparse hole, so the local
reader sees the true size and refuses it with its usual message.

The copy's root holds an empty ``.git`` marker, so a config's includes are confined to the
copy (:func:`lraudit.configs.includes.project_root`): a remote config can never make lraudit
read a local file.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from lraudit.errors import LogReadError
from lraudit.reader import fs

T = TypeVar("T")

#: bytes copied per read
CHUNK = 4 * 1024 * 1024


class Mirror:
    """A private local copy of some files below the URL ``base`` (a context manager)."""

    def __init__(self, base: str, max_total: int) -> None:
        self.base = base.rstrip("/")
        self.max_total = max_total
        self.copied = 0
        self._tmp = tempfile.mkdtemp(prefix="lraudit-remote-")
        self.root = Path(self._tmp) / "copy"
        self.root.mkdir()
        (self.root / ".git").write_bytes(b"")  # the project root of every config in the copy
        self._prefixes = sorted(
            {os.fspath(self.root), os.path.realpath(self.root)}, key=len, reverse=True
        )

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    # ------------------------------------------------------------------ paths

    def rel(self, url: str) -> str:
        """``url`` relative to the base ("" for the base itself)."""
        if url.rstrip("/") == self.base:
            return ""
        if not url.startswith(self.base + "/"):
            raise ValueError(f"{url} is not below {self.base}")
        return url[len(self.base) + 1 :].strip("/")

    def local(self, url: str) -> Path:
        """Where ``url`` is (or would be) in the copy."""
        rel = self.rel(url)
        return self.root.joinpath(*rel.split("/")) if rel else self.root

    def url(self, local: str | os.PathLike[str]) -> str:
        """The URL of a path in the copy."""
        return self.text(os.fspath(local))

    def text(self, s: str) -> str:
        """``s`` with every path into the copy written as its URL."""
        for p in self._prefixes:
            if p in s:
                s = s.replace(p + os.sep, self.base + "/").replace(p, self.base)
        return s

    # ------------------------------------------------------------------ copying

    def fetch(self, url: str, limit: int | None = None, head: int = 0) -> Path:
        """Copy ``url`` into the copy and return its local path.

        Past ``limit`` bytes only
        the first ``head`` bytes are copied and the local file keeps the true size (a sparse
        hole), so the local reader refuses it as it would a local file of that size.
        """
        target = self.local(url)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        f, size = fs.open_url(url)
        n = size if limit is None or size <= limit else min(head, size)
        if self.copied + n > self.max_total:
            f.close()
            raise LogReadError(
                f"{self.base}: more than {self.max_total / 1e6:.0f} MB of small files to copy "
                f"from this URL (at {url}); copy the folder locally, or raise the budget "
                "(LRAUDIT_MAX_SOURCE_BYTES)"
            )
        try:
            with f, open(target, "wb") as out:
                left = n
                while left > 0:
                    block = f.read(min(CHUNK, left))
                    if not block:
                        break
                    out.write(block)
                    left -= len(block)
                self.copied += n - left
                if n < size:
                    out.truncate(size)  # sparse: the true size, no bytes on disk
        except LogReadError:
            raise
        except Exception as e:  # each fsspec backend raises its own errors
            raise fs.fail(url, e) from e
        return target

    # ------------------------------------------------------------------ results

    def rebase(self, obj: T) -> T:
        """``obj`` with every path into the copy written as its URL (strings inside tuples,
        lists, dicts and dataclasses; other values as they are)."""
        return _rebase(obj, self.text)  # type: ignore[no-any-return]

    def error(self, e: BaseException) -> BaseException:
        """The exception ``e`` with the URL in place of every path into the copy."""
        if not e.args or not isinstance(e.args[0], str):
            return e
        msg = self.text(e.args[0])
        if msg == e.args[0]:
            return e
        new = copy.copy(e)
        new.args = (msg, *e.args[1:])
        return new


def _rebase(obj: Any, text: Any) -> Any:
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, (list, tuple)):
        items = [_rebase(x, text) for x in obj]
        if all(a is b for a, b in zip(items, obj, strict=True)):
            return obj
        if isinstance(obj, list):
            return items
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict) or type(obj).__name__ == "mappingproxy":
        pairs = {k: _rebase(v, text) for k, v in obj.items()}
        if all(pairs[k] is v for k, v in obj.items()):
            return obj
        return pairs
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = [f for f in dataclasses.fields(obj) if f.init]
        changed = {}
        for f in fields:
            v = getattr(obj, f.name)
            nv = _rebase(v, text)
            if nv is not v:
                changed[f.name] = nv
        return dataclasses.replace(obj, **changed) if changed else obj
    return obj


__all__ = ["Mirror"]
