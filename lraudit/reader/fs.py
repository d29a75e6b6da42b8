"""Where logs are read from: local paths, or any fsspec URL (``s3://``, ``gs://``, ``memory://``,
``file://``, ...), behind one small interface (is-url, exists, walk, open, size).

Local paths keep the direct path (``os`` calls; the reader opens them with ``O_NONBLOCK`` and
reads only regular files). A URL goes through `fsspec <https://filesystem-spec.readthedocs.io>`_
(the optional extra ``remote``): credentials come from the usual environment and fsspec
configuration (for S3: ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...).
The reader's windows are ranged reads of a window each (8 MB), never a request per
record; smaller reads (walking a record larger than a window) are read ahead by ``BLOCK``. Every failure becomes a one-line
:class:`~lraudit.errors.LogReadError` naming the URL.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from typing import IO, Any

from lraudit._dist import pip_hint
from lraudit.errors import LogReadError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def is_url(path: object) -> bool:
    """True for ``scheme://...`` (a one-letter scheme would be a Windows drive)."""
    return isinstance(path, str) and _URL.match(path) is not None


def _fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise LogReadError(
            f"{url}: reading URLs needs fsspec, which is not installed; run: {pip_hint('remote')}"
        ) from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:  # an unknown scheme, or its package missing
        raise LogReadError(f"{url}: cannot open this URL ({_why(e)}); {_more(url)}") from e


def _more(url: str) -> str:
    scheme = url.split("://", 1)[0]
    pkg = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}
    return f"install {pkg.get(scheme, 'the fsspec backend for ' + scheme + '://')}"


def _why(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def fail(url: str, e: BaseException) -> LogReadError:
    """The one-line error for a failed remote operation on ``url``."""
    if isinstance(e, LogReadError):
        return e
    if isinstance(e, FileNotFoundError):
        return LogReadError(f"{url}: no such file or directory (or no such bucket)")
    if isinstance(e, PermissionError):
        return LogReadError(f"{url}: access denied; check the credentials in the environment")
    return LogReadError(f"{url}: cannot read ({_why(e)})")


def _kind(url: str) -> str | None:
    """``file``, ``directory`` or None (missing) for a URL."""
    fs, p = _fs(url)
    try:
        info = fs.info(p)
    except FileNotFoundError:
        return None
    except Exception as e:  # fsspec backends raise their own types; each becomes one line
        raise fail(url, e) from e
    return "directory" if info.get("type") == "directory" else "file"


def exists(path: str | os.PathLike[str]) -> bool:
    if is_url(path):
        return _kind(str(path)) is not None
    return os.path.exists(path)


def is_dir(path: str | os.PathLike[str]) -> bool:
    if is_url(path):
        return _kind(str(path)) == "directory"
    return os.path.isdir(path)


def is_file(path: str | os.PathLike[str]) -> bool:
    if is_url(path):
        return _kind(str(path)) == "file"
    return os.path.isfile(path)


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) if is_url(path) else os.path.basename(path)


def walk(url: str) -> Iterator[tuple[str, list[str]]]:
    """(directory relative to ``url`` with ``/``, "." for the root; its file names), sorted."""
    fs, root = _fs(url)
    root = root.rstrip("/")
    try:
        found = fs.find(root, withdirs=False, detail=False)
    except Exception as e:
        raise fail(url, e) from e
    dirs: dict[str, list[str]] = {}
    for p in sorted(found):
        rel = posixpath.relpath(p, root) if p != root else posixpath.basename(p)
        d, name = posixpath.split(rel)
        dirs.setdefault(d or ".", []).append(name)
    yield from sorted(dirs.items())


def files_under(url: str, maxdepth: int | None = None) -> dict[str, int]:
    """Every file below ``url`` (path relative to it, with ``/``) -> its size in bytes."""
    fs, root = _fs(url)
    root = root.rstrip("/")
    try:
        found = fs.find(root, maxdepth=maxdepth, withdirs=False, detail=True)
    except Exception as e:
        raise fail(url, e) from e
    out: dict[str, int] = {}
    for p, info in sorted(found.items()):
        rel = posixpath.relpath(p, root) if p != root else posixpath.basename(p)
        out[rel] = int(info.get("size") or 0)
    return out


def listdir(url: str) -> list[tuple[str, bool, int]]:
    """(name, is a directory, size) of every entry directly in ``url``, by name; [] when
    ``url`` is missing or not a directory."""
    fs, root = _fs(url)
    try:
        entries = fs.ls(root.rstrip("/"), detail=True)
    except FileNotFoundError:
        return []
    except Exception as e:
        raise fail(url, e) from e
    out = []
    for info in entries:
        name = posixpath.basename(str(info.get("name", "")).rstrip("/"))
        if name:
            is_dir = info.get("type") == "directory"
            out.append((name, is_dir, int(info.get("size") or 0)))
    return sorted(set(out))


def parent(url: str) -> str:
    """The URL of the folder holding ``url`` (never above ``scheme://first-part``)."""
    scheme, rest = url.split("://", 1)
    parts = rest.rstrip("/").split("/")
    keep = 2 if parts[0] == "" else 1
    return f"{scheme}://" + "/".join(parts[: max(len(parts) - 1, keep)])


def join(url: str, *parts: str) -> str:
    return "/".join([url.rstrip("/"), *parts])


#: read-ahead of small reads (the reader's window reads are ranged requests of a window each)
BLOCK = 256 * 1024


def open_url(url: str) -> tuple[IO[bytes], int]:
    """A binary file object for ``url`` and its size."""
    fs, p = _fs(url)
    try:
        f = fs.open(p, "rb", block_size=BLOCK, cache_type="readahead")
        return f, int(f.size)
    except Exception as e:
        raise fail(url, e) from e
