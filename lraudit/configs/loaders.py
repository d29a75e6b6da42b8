"""Bounded readers of config data: text with a size cap, YAML and JSON with depth, alias and
size limits, and YAML ``_BASE_`` includes (fvcore / PaddleDetection).

Every reader ends in the data or in one :class:`~lraudit.errors.ConfigError` naming the file
(and the line when there is one); none raises anything else. Budgets come from the current
:class:`~lraudit.configs.limits.Session`.

* :func:`read_text`: regular files only (a FIFO would hang), at most ``max_bytes``, UTF-8.
* :func:`load_yaml`: libyaml's C loader when present (10-20x faster than the pure-Python one),
  with the tolerant tags of :class:`SafeTagLoader`; libyaml itself refuses nesting beyond 1000
  levels, integers are refused beyond ``max_int_digits`` before Python converts them, and the
  loaded value is :func:`~lraudit.configs.limits.measure`\\ d, so an alias bomb (a few hundred
  bytes that expand to 10^9 values) is refused before anything walks it.
* :func:`load_json`: the same limits for JSON.
* :func:`read_mapping` / :func:`try_mapping`: the top-level mapping of a YAML or JSON file;
  during :func:`lraudit.configs.detect_format` each text is parsed at most once, whatever the
  number of parsers that look at it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lraudit.configs.includes import base_list, confine, load_once, merge_dicts, resolve_base
from lraudit.configs.limits import ConfigLimitError, measure, session
from lraudit.errors import ConfigError

# --------------------------------------------------------------------------- text


def read_text(path: Path, what: str = "config") -> str:
    """The UTF-8 text of the regular file ``path``, refused beyond ``max_bytes``."""
    limit = session().limits.max_bytes
    try:
        if not path.exists():
            raise ConfigError(f"{path}: {what} file not found")
        if not path.is_file():
            raise ConfigError(f"{path}: not a regular file; pass the {what} file itself")
        size = path.stat().st_size
        if size > limit:
            raise ConfigLimitError(_too_big(path, size, limit))
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > limit:  # grew while being read
        raise ConfigLimitError(_too_big(path, len(raw), limit))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; pass the training config") from None


def _too_big(path: Path, size: int, limit: int) -> str:
    return (
        f"{path}: {size:,} bytes, over the {limit:,}-byte limit for a config; raise it with "
        "$LRAUDIT_MAX_CONFIG_BYTES (or max_bytes=) if the file is really a config"
    )


# --------------------------------------------------------------------------- YAML

_FLOAT_NO_DOT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeTagLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML loader that tolerates custom tags and reads ``1e-4`` as a float.

    PaddleDetection's ``!Tag`` mapping becomes a dict with ``"__type__": "Tag"``; Python tags
    written by ``yaml.dump`` (``!!python/tuple``) become lists or the placeholder string
    ``"<python/...>"``. Nothing is constructed from a tag name.
    """


SafeTagLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_NO_DOT, list("-+0123456789"))


def _construct_tagged(loader: Any, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = loader.construct_mapping(node, deep=True)
        return {**out, "__type__": suffix}
    if isinstance(node, yaml.SequenceNode):
        return {"__type__": suffix, "__value__": loader.construct_sequence(node, deep=True)}
    value = loader.construct_scalar(node)
    return {"__type__": suffix} if value in ("", None) else {"__type__": suffix, "__value__": value}


def _construct_python(loader: Any, suffix: str, node: yaml.Node) -> Any:
    if suffix == "tuple" and isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return f"<python/{suffix}>"


class _BigInt(Exception):
    def __init__(self, line: int, digits: int) -> None:
        self.line, self.digits = line, digits


def _construct_int(loader: Any, node: yaml.Node) -> Any:
    value = str(node.value)
    digits = sum(c.isdigit() for c in value)
    if digits > session().limits.max_int_digits:
        raise _BigInt(node.start_mark.line + 1, digits)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


SafeTagLoader.add_multi_constructor("!", _construct_tagged)
SafeTagLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python)
SafeTagLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _big_int(path: str | Path, digits: int, line: int | None = None) -> ConfigLimitError:
    at = f" (line {line})" if line else ""
    limit = session().limits.max_int_digits
    return ConfigLimitError(
        f"{path}{at}: an integer with {digits:,} digits (limit {limit:,}); no schedule value "
        "needs that many"
    )


def load_yaml(text: str, path: str | Path) -> Any:
    """Parse YAML ``text`` safely and within the limits; :class:`ConfigError` naming ``path``.

    Before parsing, the number of values is bounded by counting the characters that can start
    one (``, : - [ {`` and newlines): the parser builds a ~350-byte node per value, so a 10 MB
    flow list of 5 million ``1,`` would need 1.7 GB before any check on the result could run.
    """
    limit = session().limits.max_nodes
    starts = 1 + sum(text.count(c) for c in ",:-[{\n")
    if starts > limit:
        raise ConfigLimitError(
            f"{path}: up to {starts:,} YAML values (limit {limit:,}); lraudit refuses configs "
            "this large (raise $LRAUDIT_MAX_CONFIG_BYTES if the file is really a config)"
        )
    try:
        data = yaml.load(text, Loader=SafeTagLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problem = " ".join(str(problem).split())
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except _BigInt as exc:
        raise _big_int(path, exc.digits, exc.line) from None
    except RecursionError:
        raise _too_deep(path) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor refusing a value
        raise ConfigError(f"{path}: invalid YAML value ({exc})") from None
    measure(data, path)
    return data


def _too_deep(path: str | Path) -> ConfigLimitError:
    lim = session().limits.max_depth
    return ConfigLimitError(
        f"{path}: values nested more than {lim} levels deep; lraudit refuses it"
    )


# --------------------------------------------------------------------------- JSON


def load_json(text: str, path: str | Path) -> Any:
    """Parse JSON ``text`` within the limits; :class:`ConfigError` naming ``path`` and line."""
    max_digits = session().limits.max_int_digits

    def parse_int(s: str) -> int:
        digits = len(s) - s.startswith("-")
        if digits > max_digits:
            raise _BigInt(0, digits)
        return int(s)

    try:
        data = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON (line {exc.lineno}): {exc.msg}") from None
    except _BigInt as exc:
        raise _big_int(path, exc.digits) from None
    except RecursionError:
        raise _too_deep(path) from None
    measure(data, path)
    return data


# --------------------------------------------------------------------------- mappings

_PROBE: ContextVar[dict[tuple[str, int], Any] | None] = ContextVar("lraudit_probe", default=None)


@contextlib.contextmanager
def probing() -> Iterator[None]:
    """Within this block, :func:`read_mapping` parses each (path, text) at most once."""
    token = _PROBE.set({})
    try:
        yield
    finally:
        _PROBE.reset(token)


def read_mapping(path: Path, text: str) -> dict[str, Any]:
    """A JSON or YAML file's top-level mapping (JSON tried first for ``.json``)."""
    memo = _PROBE.get()
    if memo is None:
        return _read_mapping(path, text)
    key = (str(path), id(text))
    if key not in memo:
        try:
            memo[key] = (text, _read_mapping(path, text))
        except ConfigError as exc:
            memo[key] = (text, exc)
    result = memo[key][1]
    if isinstance(result, ConfigError):
        raise result
    return result  # type: ignore[no-any-return]


def _read_mapping(path: Path, text: str) -> dict[str, Any]:
    data: Any
    if path.suffix.lower() == ".json" or text.lstrip()[:1] == "{":
        try:
            data = load_json(text, path)
        except ConfigLimitError:
            raise
        except ConfigError:
            if path.suffix.lower() == ".json":
                raise
            data = load_yaml(text, path)
    else:
        data = load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def try_mapping(path: Path, text: str) -> dict[str, Any] | None:
    """Like :func:`read_mapping` but None instead of an error (for format detection)."""
    try:
        return read_mapping(path, text)
    except ConfigLimitError:
        raise
    except ConfigError:
        return None


# --------------------------------------------------------------------------- YAML includes


@dataclass
class Loaded:
    """A config with its bases merged: the values, the files read, and what was assumed."""

    data: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def load_yaml_with_bases(path: Path, text: str | None = None, key: str = "_BASE_") -> Loaded:
    """Load a YAML config and its ``key`` bases (fvcore / PaddleDetection semantics).

    Bases load in order, each later one merged over the earlier, then the file itself on top.
    A base that does not exist is recorded in ``missing`` and ``assumptions`` rather than
    raising: callers decide whether the keys they need are still present. Bases are confined
    and loaded once (:mod:`lraudit.configs.includes`).
    """
    if text is None:
        text = read_text(path)
    data = load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    data = dict(data)
    out = Loaded({}, [path])
    for ref in base_list(data.pop(key, None), path, key):
        bp = resolve_base(ref, path)
        if bp is not None:
            bp = confine(bp, path, key, ref)
        if bp is None or not bp.exists():
            out.missing.append(ref)
            out.assumptions.append(
                f"Base config {ref!r} named in {path.name} was not found; keys it would set are "
                "not included."
            )
            continue
        sub = load_once(f"yaml:{key}", bp, path, lambda p: load_yaml_with_bases(p, None, key))
        out.data = merge_dicts(out.data, sub.data)
        out.files += [f for f in sub.files if f not in out.files]
        out.assumptions += [a for a in sub.assumptions if a not in out.assumptions]
        out.missing += sub.missing
    out.data = merge_dicts(out.data, data)
    measure(out.data, path)
    return out


__all__ = [
    "Loaded",
    "SafeTagLoader",
    "load_json",
    "load_yaml",
    "load_yaml_with_bases",
    "probing",
    "read_mapping",
    "read_text",
    "try_mapping",
]
