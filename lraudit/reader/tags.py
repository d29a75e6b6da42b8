"""Which scalar tags are a learning rate, and tag selection by exact name or glob.

The default detection is a list of regular expressions, each matched against the *whole* tag,
case-insensitively (:data:`LR_TAG_PATTERNS`), minus tags that name a related quantity rather
than the effective learning rate (:data:`NOT_LR_PATTERN`: MMEngine's ``base_lr``, Lightning's
``lr-SGD-momentum``, ``initial_lr``, ``max_lr``, ``lr_scale``, Megatron's
``learning-rate vs samples``, ...).

>>> [t for t in ["lr", "train/learning_rate", "lr-AdamW/pg1", "x/lr2", "base_lr", "loss"]
...  if is_lr_tag(t)]
['lr', 'train/learning_rate', 'lr-AdamW/pg1', 'x/lr2']
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence

#: Default LR tag patterns (full match, case-insensitive), with the writers they come from.
#: ``(?:[^/]*/)*`` allows any prefix of path segments (``train/``, ``LearningRate/LearningRate/``,
#: an eval or optimizer scope); ``[ _.-]?`` covers tensorboardX/torch tag escaping, which turns
#: every character outside ``[-/\w.]`` (e.g. a space) into ``_``.
LR_TAG_PATTERNS: tuple[str, ...] = (
    # lr, train/lr, learning_rate, train/learning_rate (HF), learning-rate (Megatron-LM),
    # LearningRate/LearningRate/learning_rate (TF OD API slim), Learning_Rate, detectron2, fairseq,
    # MMEngine, torchtune, mmcv 1.x
    r"(?:[^/]*/)*(?:lr|learning[ _.-]?rate)",
    # Keras TensorBoard callback: epoch_learning_rate, epoch_learning_rate_<optimizer>, epoch_lr
    # (tf.keras 2 LearningRateScheduler), batch_* when logged per batch
    r"(?:[^/]*/)*(?:epoch|batch)_(?:lr|learning_rate)(?:_[^/]+)?",
    # PyTorch Lightning LearningRateMonitor: lr-AdamW, lr-AdamW-1, lr-AdamW/pg1, lr-AdamW/<group>
    r"(?:[^/]*/)*lr-[a-z0-9_.]+(?:-\d+)?(?:/[^/]+)?",
    # param groups: x/lr0..2 (YOLOv5), lr/pg0.. (Ultralytics), lr_0, lr/group_0,
    # learning_rate/<optimizer> (mmcv 1.x dict of optimizers)
    # ... also as tensorboardX escapes them (every char outside [-/\w.] becomes "_"):
    # "lr (pg 0)" -> "lr__pg_0_"
    r"(?:[^/]*/)*(?:lr|learning[ _.-]?rate)[ _.()-]*(?:pg|group)?[ _.-]*\d+[ _)]*",
    r"(?:[^/]*/)*(?:lr|learning[ _.-]?rate)/[^/]+",
)

#: Tags that match a pattern above but are not the effective LR (checked after a match).
NOT_LR_PATTERN = (
    r"momentum|weight[ _.-]?decay|beta|base[ _.-]?lr|initial[ _.-]?lr|init[ _.-]?lr|max[ _.-]?lr"
    r"|min[ _.-]?lr|lr[ _.-]?scale|scale|vs[ _.]samples|samples|finder|warmup[ _.-]?ratio"
)

_LR_RE = re.compile("|".join(f"(?:{p})" for p in LR_TAG_PATTERNS), re.IGNORECASE)
_NOT_LR_RE = re.compile(NOT_LR_PATTERN, re.IGNORECASE)


def is_lr_tag(tag: str) -> bool:
    """True when ``tag`` looks like an effective learning rate (see :data:`LR_TAG_PATTERNS`).

    >>> is_lr_tag("epoch_learning_rate"), is_lr_tag("lr-SGD-momentum"), is_lr_tag("train/base_lr")
    (True, False, False)
    """
    return _LR_RE.fullmatch(tag) is not None and _NOT_LR_RE.search(tag) is None


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def select_tags(available: Iterable[str], wanted: str | Sequence[str] | None) -> list[str]:
    """Tags of ``available`` chosen by ``wanted``: None = LR detection, else exact names or globs.

    An exact name wins over glob interpretation (a tag may contain ``[``); globs are
    case-sensitive, as tags are.

    >>> select_tags(["lr", "loss", "x/lr0", "x/lr1"], "x/lr*")
    ['x/lr0', 'x/lr1']
    >>> select_tags(["lr", "loss"], None)
    ['lr']
    """
    keep = make_tag_filter(wanted)
    return [t for t in sorted(set(available)) if keep(t)]


def make_tag_filter(wanted: str | Sequence[str] | None) -> Callable[[str], bool]:
    """A predicate ``tag -> bool``: None = LR detection, else exact names or globs."""
    if wanted is None:
        return is_lr_tag
    pats = [wanted] if isinstance(wanted, str) else list(wanted)
    exact = set(pats)
    globs = [re.compile(fnmatch.translate(p)) for p in pats if _is_glob(p)]

    def keep(tag: str) -> bool:
        return tag in exact or any(g.fullmatch(tag) for g in globs)

    return keep
