"""Interim: one segment per series (replaced by the segmentation of issue 10)."""

from __future__ import annotations

from dataclasses import dataclass

from lraudit.types import LRSeries


@dataclass(frozen=True)
class Segment:
    start: int
    stop: int
    first_step: int
    last_step: int
    reason: str = "start"
    stray: bool = False


@dataclass(frozen=True)
class Segmentation:
    segments: tuple[Segment, ...]
    zero_stretches: tuple[object, ...] = ()

    @property
    def main(self) -> Segment | None:
        return self.segments[0] if self.segments else None


def segment_series(series: LRSeries) -> Segmentation:
    n = len(series)
    if n == 0:
        return Segmentation(())
    return Segmentation((Segment(0, n, int(series.steps[0]), int(series.steps[-1])),))
