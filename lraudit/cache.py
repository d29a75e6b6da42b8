"""On-disk cache of each run's audit, so that ``report``/``check`` on a logdir where few runs
changed re-read, re-fit and re-judge only those.

Two entries per run:

- **series and fits**: the LR series the reader merged from the run's event files and the
  analysis of each (segments and fits, :class:`lraudit.analysis.Analysis`), or the scalar tags
  of a run that has no LR tag. Key (SHA-256 of): the cache format, the lraudit version and the
  identity of its code (path, size and modification time of every module, so an edited
  development install never serves an old answer), the ``--tag`` option, the run's name, and
  for every event file of the run its path as discovered, device, inode, size and modification
  time (ns). A file appended to, replaced or touched changes the key.
- **audits**: the run's :class:`~lraudit.types.RunAudit` list, whole (findings included). Key:
  the key above and the config the run is compared with, as
  :meth:`lraudit.run_configs.ConfigPlan.for_run` resolves it: the intended schedule *as
  parsed*, with ``--steps-per-epoch`` / ``--world-size`` applied, the path and format of the
  file and how it was found (given, pinned, beside the run, none), and the notes of the search.
  Keying on the parsed config rather than on the file's bytes also catches a change in a file
  it includes (a ``_base_``, ``_BASE_``); the config is still found and parsed on every report.

A run whose files and config did not change comes whole from the cache: it is not read, fitted
or judged, and a report of only such runs imports neither the fitter (SciPy) nor the rules. A
run whose files did not change but whose config did is judged again from its cached series and
fits. Config discovery's scan of each event file for the HF ``args`` text is kept too (file
:data:`PROBES`, per file with its identity, size and mtime).

Safety: entries are a JSON header and raw array bytes (never pickle: a cache directory may be
shared or writable by someone else, and unpickling runs code). Decoding rebuilds only the
dataclasses of :mod:`lraudit.types`, the schedules, the segmenter and the analysis, arrays only
as 1-d int64/float64/bool within the entry's bytes, and checks the stored key; an entry larger
than :data:`MAX_ENTRY` is neither written nor read. Anything unexpected in an entry (another
format, bad JSON, unknown class, wrong fields, arrays outside the entry, truncated file) makes
it a miss: no note, no traceback, the run is audited again and the entry rewritten. Writes go
to a temporary file renamed into place (a reader never sees half an entry), and only when the
run's files did not change while it was audited. The directory is kept under
:data:`MAX_TOTAL` bytes by removing the least recently used entries (entries of format 1,
``*.json``, included).

Location: ``--cache DIR``; else ``$LRAUDIT_CACHE_DIR`` (tests point it at a temporary
directory); else ``$XDG_CACHE_HOME/lraudit``; else ``~/.cache/lraudit``. ``--no-cache`` turns it
off.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from lraudit.types import LRSeries

__all__ = ["MAX_ENTRY", "MAX_TOTAL", "RunCache", "default_dir"]

FORMAT = 2
#: the first bytes of an entry of this format, and its file name's ending
MAGIC = b"LRAUDIT-CACHE-2\n"
SUFFIX = ".lrc"
#: the file (in the cache directory) of config discovery's scans of event files, and its bounds
PROBES = "args-probes.json"
MAX_PROBES = 100_000
MAX_PROBES_BYTES = 64 * 1024 * 1024
#: Largest entry written or read (bytes).
MAX_ENTRY = 256 * 1024 * 1024
#: The cache directory is trimmed to this many bytes (least recently used entries go first).
MAX_TOTAL = 1024 * 1024 * 1024
_DTYPES = {"<i8": np.int64, "<f8": np.float64, "|b1": np.bool_}

#: (series, analyses) per run, and the runs without an LR tag -> their scalar tags
RunResult = tuple[list[LRSeries], list[Any], dict[str, "tuple[str, ...] | str"]]
#: one run's audits (:class:`lraudit.types.RunAudit`, in tag order) and its entry in ``bare``
AuditResult = tuple[list[Any], dict[str, "tuple[str, ...] | str"]]
#: what a damaged, truncated or hostile entry raises while it is read and decoded: a miss
_DAMAGE = (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError)


def default_dir() -> Path:
    """Where the cache lives when ``--cache`` is not given (see the module docstring)."""
    env = os.environ.get("LRAUDIT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "lraudit"


def _dataclasses(*mods: Any) -> dict[str, type]:
    out: dict[str, type] = {}
    for mod in mods:
        for name, obj in vars(mod).items():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == mod.__name__
            ):
                out[name] = obj
    return out


#: the classes an entry may hold, by name: those of :mod:`lraudit.types` and the schedules
#: (every entry), then those of the segmenter and the analysis (series-and-fits entries), whose
#: modules are imported only when such an entry is read or written
_CLASSES: dict[str, type] = {}
_MORE = [False]


def _class(name: str) -> type | None:
    if not _CLASSES:
        from lraudit import types
        from lraudit.schedules.schedule import Schedule
        from lraudit.schedules.warmups import Warmup

        _CLASSES.update({"Schedule": Schedule, "Warmup": Warmup, **_dataclasses(types)})
    if name not in _CLASSES and not _MORE[0]:
        from lraudit import analysis, segments

        _MORE[0] = True
        _CLASSES.update({k: v for k, v in _dataclasses(segments, analysis).items()})
    return _CLASSES.get(name)


class _Unsupported(Exception):
    """A value the codec does not store: the run is not cached (it is still audited)."""


class _Blob:
    """The arrays of an entry, stored as raw bytes after its JSON header (no base64: a cached
    report reads 100 entries of ~50 KB of arrays each in a few ms)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> tuple[int, int]:
        at = self.size
        self.parts.append(data)
        self.size += len(data)
        return at, len(data)


def _enc(o: Any, blob: _Blob) -> Any:
    if isinstance(o, Enum):  # before str: Severity is a str
        return {"$e": type(o).__name__, "v": o.value}
    if o is None or isinstance(o, bool) or type(o) is str:
        return o
    if type(o) is int or type(o) is float:
        return o
    if isinstance(o, np.ndarray):
        a = np.ascontiguousarray(o)
        if a.dtype.str not in _DTYPES or a.ndim != 1:
            raise _Unsupported(f"array of {a.dtype}, {a.ndim}-d")
        at, n = blob.add(a.tobytes())
        return {"$a": a.dtype.str, "o": at, "n": n}
    if isinstance(o, np.generic):
        if o.dtype.str not in _DTYPES:
            raise _Unsupported(f"scalar of {o.dtype}")
        return {"$s": o.dtype.str, "v": o.item()}
    if isinstance(o, tuple):
        return {"$t": [_enc(x, blob) for x in o]}
    if isinstance(o, list):
        return [_enc(x, blob) for x in o]
    if isinstance(o, dict):
        return {"$d": [[_enc(k, blob), _enc(v, blob)] for k, v in o.items()]}
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        name = type(o).__name__
        if _class(name) is not type(o):
            raise _Unsupported(name)
        fields = dataclasses.fields(o)
        return {"$c": name, "f": {f.name: _enc(getattr(o, f.name), blob) for f in fields}}
    raise _Unsupported(type(o).__name__)


#: JSON values that decode to themselves (skipped without a call: most of an entry's values)
_LEAVES = frozenset({str, int, float, bool, type(None)})
#: class -> {field name: whether ``__init__`` takes it}
_FIELDS: dict[type, dict[str, bool]] = {}


def _dec(o: Any, blob: memoryview) -> Any:
    t = type(o)
    if t is list:
        return [x if type(x) in _LEAVES else _dec(x, blob) for x in o]
    if t is not dict:
        return o
    if "$a" in o:
        dt = np.dtype(_DTYPES[o["$a"]])
        at, n = o["o"], o["n"]
        if not (type(at) is int and type(n) is int and 0 <= at <= at + n <= len(blob)):
            raise ValueError("array out of the entry")
        if n % dt.itemsize:
            raise ValueError("array of a partial item")
        return np.frombuffer(blob[at : at + n], dtype=dt)  # writable: blob is a bytearray
    if "$s" in o:
        return _DTYPES[o["$s"]](o["v"])
    if "$e" in o:
        from lraudit.types import Severity

        if o["$e"] != "Severity":
            raise ValueError(o["$e"])
        return Severity(o["v"])
    if "$t" in o:
        return tuple(_dec(o["$t"], blob))
    if "$d" in o:
        return {_dec(k, blob): _dec(v, blob) for k, v in o["$d"]}
    if "$c" in o:
        cls = _class(o["$c"])
        if cls is None:
            raise ValueError(f"{o['$c']}: not a class the cache stores")
        fields = _FIELDS.get(cls)
        if fields is None:
            fs = dataclasses.fields(cls)  # type: ignore[arg-type]
            fields = _FIELDS[cls] = {f.name: f.init for f in fs}
        got = o["f"]
        if type(got) is not dict or got.keys() != fields.keys():
            raise ValueError(f"{o['$c']}: fields differ")
        vals = {k: v if type(v) in _LEAVES else _dec(v, blob) for k, v in got.items()}
        obj = cls(**{k: v for k, v in vals.items() if fields[k]})
        for k, v in vals.items():
            if not fields[k]:
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
        self.dir = Path(directory) if directory is not None else default_dir()
        self._code = _code_identity()
        self.hits = 0
        self.misses = 0
        #: runs whose whole audit came from the cache (also counted in ``hits``)
        self.audit_hits = 0

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
        return self.dir / f"{key[:2]}" / f"{key}{SUFFIX}"

    def _doc(self, key: str) -> tuple[dict[str, Any], memoryview] | None:
        """The header of ``key``'s entry and its arrays' bytes (None: missing, too big, not an
        entry of this format or of another key). Layout: :data:`MAGIC`, the header's length
        (8 bytes, little-endian), the header (JSON), the arrays."""
        p = self._path(key)
        with open(p, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_ENTRY or size < len(MAGIC) + 8:
                return None
            data = bytearray(size)
            if f.readinto(data) != size:
                return None
        if data[: len(MAGIC)] != MAGIC:
            return None
        (n,) = struct.unpack_from("<Q", data, len(MAGIC))
        start = len(MAGIC) + 8
        if start + n > size:
            return None
        doc = json.loads(data[start : start + n])
        if not isinstance(doc, dict) or doc.get("key") != key:
            return None
        os.utime(p)  # recently used: trimmed last
        return doc, memoryview(data)[start + n :]

    def load(self, key: str) -> RunResult | None:
        """The entry of ``key``, or None (missing, too big, damaged or not ours)."""
        try:
            got = self._doc(key)
            if got is None:
                return None
            doc, blob = got
            series, analyses = _dec(doc["series"], blob), _dec(doc["analyses"], blob)
            bare = _dec(doc["bare"], blob)
            if not (
                isinstance(series, list)
                and all(isinstance(s, LRSeries) for s in series)
                and isinstance(analyses, list)
                and len(analyses) == len(series)
                and isinstance(bare, dict)
            ):
                return None
        except _DAMAGE:
            return None
        return series, analyses, bare

    def load_audits(self, key: str) -> AuditResult | None:
        """The audits entry of ``key`` (:meth:`audit_key`), or None (as :meth:`load`)."""
        from lraudit.types import RunAudit

        try:
            got = self._doc(key)
            if got is None:
                return None
            doc, blob = got
            audits, bare = _dec(doc["audits"], blob), _dec(doc["bare"], blob)
            if not (
                isinstance(audits, list)
                and all(isinstance(a, RunAudit) for a in audits)
                and isinstance(bare, dict)
            ):
                return None
        except _DAMAGE:
            return None
        return audits, bare

    def store(self, key: str, result: RunResult) -> bool:
        """Write ``result`` under ``key``; False when it cannot be stored (never raises)."""
        series, analyses, bare = result
        return self._write(
            key,
            lambda b: {
                "series": _enc(list(series), b),
                "analyses": _enc(list(analyses), b),
                "bare": _enc(dict(bare), b),
            },
        )

    def store_audits(self, key: str, result: AuditResult) -> bool:
        """Write one run's audits (and its entry in ``bare``) under ``key`` (never raises)."""
        audits, bare = result
        return self._write(
            key, lambda b: {"audits": _enc(list(audits), b), "bare": _enc(dict(bare), b)}
        )

    def _write(self, key: str, body: Callable[[_Blob], dict[str, Any]]) -> bool:
        try:
            blob = _Blob()
            head = json.dumps({"key": key, **body(blob)}).encode()
            if len(MAGIC) + 8 + len(head) + blob.size > MAX_ENTRY:
                return False
            p = self._path(key)
            p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=SUFFIX)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + struct.pack("<Q", len(head)) + head)
                    f.writelines(blob.parts)
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
                (st.st_mtime_ns, st.st_size, p)
                for pattern in (f"*/*{SUFFIX}", "*/*.json")  # .json: entries of format 1
                for p in self.dir.glob(pattern)
                if (st := p.stat())
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

    def _load_probes(self) -> dict[str, Any]:
        """What config discovery's scan of event files for the HF ``args`` text found in earlier
        processes (:data:`lraudit.configs.discover.ARGS_SEEN`, per file with its identity, size
        and mtime: a file that changed is scanned again), put back where discovery looks."""
        from lraudit.configs.discover import ARGS_SEEN

        try:
            with open(self.dir / PROBES, "rb") as f:
                doc = json.loads(f.read(MAX_PROBES_BYTES + 1))
            if not isinstance(doc, dict) or doc.get("code") != [FORMAT, self._code]:
                return {}
            seen = {
                path: (tuple(v[:4]), v[4])
                for path, v in doc["seen"].items()
                if isinstance(v, list)
                and len(v) == 5
                and all(type(x) is int for x in v[:4])
                and type(v[4]) is bool
            }
        except _DAMAGE:
            return {}
        for path, got in seen.items():
            ARGS_SEEN.setdefault(path, got)  # type: ignore[arg-type]
        return seen

    def _save_probes(self, before: Mapping[str, Any]) -> None:
        """Write :data:`~lraudit.configs.discover.ARGS_SEEN` back when it learnt something (the
        most recent :data:`MAX_PROBES` files; never raises)."""
        from lraudit.configs.discover import ARGS_SEEN

        if all(before.get(k) == v for k, v in ARGS_SEEN.items()):
            return
        seen = {**before, **ARGS_SEEN}
        keep = list(seen.items())[-MAX_PROBES:]
        doc = {
            "code": [FORMAT, self._code],
            "seen": {path: [*ident, found] for path, (ident, found) in keep},
        }
        try:
            data = json.dumps(doc).encode()
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, self.dir / PROBES)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, ValueError, TypeError):
            pass

    def audit_key(self, files_key: str, resolved: Any) -> str | None:
        """The key of a run's audits: its files' key (:meth:`key`) and the config it is compared
        with (``resolved``, :meth:`lraudit.run_configs.ConfigPlan.for_run`: the intended schedule
        as parsed, with the unit options applied, how it was found and the notes of the search).
        None when the config holds a value the codec does not store (the run is then judged
        again, from its cached series and fits)."""
        blob = _Blob()
        try:
            enc = json.dumps([FORMAT, "audits", files_key, _enc(resolved, blob)])
        except (_Unsupported, ValueError, TypeError, RecursionError):
            return None
        h = hashlib.sha256(enc.encode())
        for part in blob.parts:
            h.update(part)
        return h.hexdigest()

    # ------------------------------------------------------------------ the pipeline's hooks

    def _runs(self, path: str, run: str | None) -> dict[str, tuple[str, ...]] | None:
        from lraudit.reader import _run_filter
        from lraudit.reader.discovery import discover_runs

        if not Path(path).is_dir():
            return None
        keep = _run_filter(run)
        return {r: fs for r, fs in discover_runs(path).items() if keep(r)} or None

    def _fitted(
        self,
        tag: str | None,
        runs: Mapping[str, Sequence[str]],
        keys: Mapping[str, str | None],
        compute: Callable[[list[str]], RunResult],
    ) -> dict[str, RunResult]:
        """Each run of ``runs``: its entry when its files' key (``keys``) has one, else read and
        fitted by ``compute(run names)`` and stored."""
        got: dict[str, RunResult] = {}
        for name in runs:
            k = keys[name]
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
        return got

    def audit_runs(
        self,
        path: str,
        tag: str | None,
        run: str | None,
        plan: Any,
        compute: Callable[[list[str]], RunResult],
        judge_run: Callable[[list[LRSeries], list[Any], Any], list[Any]],
    ) -> AuditResult | None:
        """The audits of every selected run of the logdir ``path``, in (run, tag) order, and
        the runs without an LR tag. A run whose files and config (``plan.for_run``) did not
        change comes whole from the cache (not read, fitted or judged); one whose files did not
        change is judged again from its cached series and fits; the others are read and fitted
        by ``compute(run names)`` and judged by ``judge_run(series, analyses, resolved)``.
        None when ``path`` is not a logdir of event files (the caller audits it as usual)."""
        from lraudit.errors import LrauditError

        runs = self._runs(path, run)
        if runs is None:
            return None
        fkeys = {name: self.key(tag, name, files) for name, files in runs.items()}
        akeys: dict[str, str | None] = {}
        done: dict[str, AuditResult] = {}
        probes = self._load_probes()
        for name in runs:
            fk, akeys[name] = fkeys[name], None
            if fk is None:
                continue
            try:
                resolved = plan.for_run(name)
            except LrauditError:
                continue  # raised again, as without a cache, if the run has a series to judge
            ak = akeys[name] = self.audit_key(fk, resolved)
            hit = self.load_audits(ak) if ak is not None else None
            if hit is not None:
                done[name] = hit
        self._save_probes(probes)
        self.hits += len(done)
        self.audit_hits += len(done)
        todo = {r: runs[r] for r in runs if r not in done}
        if todo:
            fitted = self._fitted(tag, todo, fkeys, compute)
            for name, (series, analyses, bare) in fitted.items():
                audits = judge_run(series, analyses, plan.for_run(name)) if series else []
                done[name] = (audits, bare)
                ak = akeys[name]
                if ak is not None and self.key(tag, name, runs[name]) == fkeys[name]:
                    self.store_audits(ak, (audits, bare))
        out: list[Any] = []
        out_b: dict[str, tuple[str, ...] | str] = {}
        for name in sorted(runs):
            audits, bare = done[name]
            out += sorted(audits, key=lambda a: a.tag)
            out_b.update(bare)
        return out, out_b
