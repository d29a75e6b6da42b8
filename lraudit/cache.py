"""On-disk cache of each run's series and analysis, so that ``report``/``check`` on a logdir
where few runs changed re-read and re-fit only those.

What is cached, per run: the LR series the reader merged from the run's event files and the
analysis of each (segments and fits, :class:`lraudit.analysis.Analysis`), or the scalar tags of
a run that has no LR tag. The comparison with the config (``diagnose``) is not cached: it is
cheap and depends on the config, so a changed or different config needs no invalidation.

Key (SHA-256 of): the cache format, the lraudit version and the identity of its code (path,
size and modification time of every module, so an edited development install never serves an
old answer), the ``--tag`` option, the run's name, and for every event file of the run its path
as discovered, device, inode, size and modification time (ns). A file appended to, replaced or
touched changes the key; a run whose files did not change hits.

Safety: entries are JSON (never pickle: a cache directory may be shared or writable by someone
else, and unpickling runs code). Decoding rebuilds only the dataclasses listed in
:data:`_CLASSES`, arrays only as int64/float64/bool, and checks the stored key; an entry larger
than :data:`MAX_ENTRY` is neither written nor read. Anything unexpected in an entry (bad JSON,
unknown class, wrong fields, truncated file) makes it a miss: no traceback, the run is read
again and the entry rewritten. Writes go to a temporary file renamed into place (a reader never
sees half an entry). The directory is kept under :data:`MAX_TOTAL` bytes by removing the
least recently used entries.

Location: ``--cache DIR``; else ``$LRAUDIT_CACHE_DIR`` (tests point it at a temporary
directory); else ``$XDG_CACHE_HOME/lraudit``; else ``~/.cache/lraudit``. ``--no-cache`` turns it
off.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.types import LRSeries

__all__ = ["MAX_ENTRY", "MAX_TOTAL", "RunCache", "default_dir"]

FORMAT = 1
#: Largest entry written or read (bytes).
MAX_ENTRY = 256 * 1024 * 1024
#: The cache directory is trimmed to this many bytes (least recently used entries go first).
MAX_TOTAL = 1024 * 1024 * 1024
_DTYPES = {"<i8": np.int64, "<f8": np.float64, "|b1": np.bool_}

#: (series, analyses) per run, and the runs without an LR tag -> their scalar tags
RunResult = tuple[list[LRSeries], list[Any], dict[str, "tuple[str, ...] | str"]]


def default_dir() -> Path:
    """Where the cache lives when ``--cache`` is not given (see the module docstring)."""
    env = os.environ.get("LRAUDIT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "lraudit"


def _classes() -> dict[str, type]:
    from lraudit import analysis, segments, types
    from lraudit.schedules.schedule import Schedule
    from lraudit.schedules.warmups import Warmup

    out: dict[str, type] = {"Schedule": Schedule, "Warmup": Warmup}
    for mod in (types, segments, analysis):
        for name, obj in vars(mod).items():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == mod.__name__
            ):
                out[name] = obj
    return out


_CLASSES: dict[str, type] = {}


class _Unsupported(Exception):
    """A value the codec does not store: the run is not cached (it is still audited)."""


def _enc(o: Any) -> Any:
    if o is None or isinstance(o, (bool, str)):
        return o
    if isinstance(o, int) and type(o) is int:
        return o
    if isinstance(o, float) and type(o) is float:
        return o
    if isinstance(o, np.ndarray):
        a = np.ascontiguousarray(o)
        if a.dtype.str not in _DTYPES:
            raise _Unsupported(f"array of {a.dtype}")
        return {"$a": a.dtype.str, "b": base64.b64encode(a.tobytes()).decode("ascii")}
    if isinstance(o, np.generic):
        if o.dtype.str not in _DTYPES:
            raise _Unsupported(f"scalar of {o.dtype}")
        return {"$s": o.dtype.str, "v": o.item()}
    if isinstance(o, Enum):
        return {"$e": type(o).__name__, "v": o.value}
    if isinstance(o, tuple):
        return {"$t": [_enc(x) for x in o]}
    if isinstance(o, list):
        return [_enc(x) for x in o]
    if isinstance(o, dict):
        return {"$d": [[_enc(k), _enc(v)] for k, v in o.items()]}
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        name = type(o).__name__
        if _CLASSES.get(name) is not type(o):
            raise _Unsupported(name)
        return {"$c": name, "f": {f.name: _enc(getattr(o, f.name)) for f in dataclasses.fields(o)}}
    raise _Unsupported(type(o).__name__)


def _dec(o: Any) -> Any:
    if isinstance(o, list):
        return [_dec(x) for x in o]
    if not isinstance(o, dict):
        return o
    if "$a" in o:
        dt = _DTYPES[o["$a"]]
        return np.frombuffer(base64.b64decode(o["b"], validate=True), dtype=dt).copy()
    if "$s" in o:
        return _DTYPES[o["$s"]](o["v"])
    if "$e" in o:
        from lraudit.types import Severity

        if o["$e"] != "Severity":
            raise ValueError(o["$e"])
        return Severity(o["v"])
    if "$t" in o:
        return tuple(_dec(x) for x in o["$t"])
    if "$d" in o:
        return {_dec(k): _dec(v) for k, v in o["$d"]}
    if "$c" in o:
        cls = _CLASSES[o["$c"]]
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        got = o["f"]
        if set(got) != set(fields):
            raise ValueError(f"{o['$c']}: fields differ")
        vals = {k: _dec(v) for k, v in got.items()}
        obj = cls(**{k: v for k, v in vals.items() if fields[k].init})
        for k, v in vals.items():
            if not fields[k].init:
                object.__setattr__(obj, k, v)
        return obj
    raise ValueError("unknown object")


def _code_identity() -> str:
    """The lraudit version and the (path, size, mtime) of every module of the package."""
    import lraudit

    root = Path(lraudit.__file__).parent
    h = hashlib.sha256(lraudit.__version__.encode())
    for p in sorted(root.rglob("*.py")):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


class RunCache:
    """The per-run cache in ``directory`` (created on first write, mode 0700)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        if not _CLASSES:
            _CLASSES.update(_classes())
        self.dir = Path(directory) if directory is not None else default_dir()
        self._code = _code_identity()
        self.hits = 0
        self.misses = 0

    # ------------------------------------------------------------------ keys and entries

    def key(self, tag: str | None, run: str, files: Sequence[str]) -> str | None:
        """The key of ``run`` (None when a file cannot be stat'ed: not cached)."""
        parts: list[Any] = [FORMAT, self._code, tag, run]
        for f in files:
            try:
                st = os.stat(f)
            except OSError:
                return None
            parts.append([f, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns])
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / f"{key[:2]}" / f"{key}.json"

    def load(self, key: str) -> RunResult | None:
        """The entry of ``key``, or None (missing, too big, damaged or not ours)."""
        p = self._path(key)
        try:
            with open(p, "rb") as f:
                if os.fstat(f.fileno()).st_size > MAX_ENTRY:
                    return None
                doc = json.loads(f.read())
            if not isinstance(doc, dict) or doc.get("key") != key:
                return None
            series, analyses, bare = _dec(doc["series"]), _dec(doc["analyses"]), _dec(doc["bare"])
            if not (
                isinstance(series, list)
                and all(isinstance(s, LRSeries) for s in series)
                and isinstance(analyses, list)
                and len(analyses) == len(series)
                and isinstance(bare, dict)
            ):
                return None
            os.utime(p)  # recently used: trimmed last
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None
        return series, analyses, bare

    def store(self, key: str, result: RunResult) -> bool:
        """Write ``result`` under ``key``; False when it cannot be stored (never raises)."""
        series, analyses, bare = result
        try:
            doc = {
                "key": key,
                "series": _enc(list(series)),
                "analyses": _enc(list(analyses)),
                "bare": _enc(dict(bare)),
            }
            data = json.dumps(doc).encode()
            if len(data) > MAX_ENTRY:
                return False
            p = self._path(key)
            p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, p)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (_Unsupported, OSError, ValueError, TypeError, RecursionError):
            return False
        return True

    def trim(self, limit: int = MAX_TOTAL) -> None:
        """Remove the least recently used entries until the directory holds <= ``limit`` bytes."""
        try:
            entries = [
                (p.stat().st_mtime_ns, p.stat().st_size, p) for p in self.dir.glob("*/*.json")
            ]
        except OSError:
            return
        total = sum(e[1] for e in entries)
        for _, size, p in sorted(entries):
            if total <= limit:
                break
            try:
                p.unlink()
                total -= size
            except OSError:
                pass

    # ------------------------------------------------------------------ the pipeline's hook

    def read_and_fit(
        self,
        path: str,
        tag: str | None,
        run: str | None,
        compute: Callable[[list[str]], RunResult],
    ) -> RunResult | None:
        """Every selected run of the logdir ``path``: from the cache when its files did not
        change, else through ``compute(run names)`` (then stored). None when ``path`` is not a
        logdir of event files (the caller reads it as usual)."""
        from lraudit.reader import _run_filter
        from lraudit.reader.discovery import discover_runs

        if not Path(path).is_dir():
            return None
        keep = _run_filter(run)
        runs = {r: fs for r, fs in discover_runs(path).items() if keep(r)}
        if not runs:
            return None
        got: dict[str, RunResult] = {}
        keys: dict[str, str | None] = {}
        for name, files in runs.items():
            k = keys[name] = self.key(tag, name, files)
            hit = self.load(k) if k is not None else None
            if hit is not None:
                got[name] = hit
        missing = [r for r in runs if r not in got]
        self.hits += len(got)
        self.misses += len(missing)
        if missing:
            series, analyses, bare = compute(missing)
            for name in missing:
                idx = [i for i, s in enumerate(series) if s.run == name]
                res: RunResult = (
                    [series[i] for i in idx],
                    [analyses[i] for i in idx],
                    {name: bare[name]} if name in bare else {},
                )
                got[name] = res
                k = keys[name]
                if k is not None and self.key(tag, name, runs[name]) == k:
                    self.store(k, res)  # only when the files did not change meanwhile
            self.trim()
        out_s: list[LRSeries] = []
        out_a: list[Any] = []
        out_b: dict[str, tuple[str, ...] | str] = {}
        for name in runs:
            s, a, b = got[name]
            out_s += s
            out_a += a
            out_b.update(b)
        order = sorted(range(len(out_s)), key=lambda i: (out_s[i].run, out_s[i].tag))
        return [out_s[i] for i in order], [out_a[i] for i in order], out_b
