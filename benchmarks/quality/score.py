"""Scoring a scenario's alerts against the events written down for it.

A `new` alert of the expected rule at most ``EARLY_S`` before and ``LATE_S`` after the
expected moment (when the condition has held for the dwell) is a hit; its latency is how long
after that moment it came. Every other `new` alert of a complete scenario is a false alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.quality.scenarios import Expected

# The goal: every expected event within dwell + 3 s.
LATE_S = 3.0
# Media times are sampled at the analysis rate (0.2 s at 5 fps) and a hand-noted moment is
# good to a few frames: an alert one second early still reports the right event.
EARLY_S = 1.0


@dataclass(frozen=True)
class Raised:
    rule: str
    media_time_s: float


@dataclass
class Score:
    expected: int = 0
    hits: int = 0
    false_alerts: int = 0
    latencies_s: list[float] = field(default_factory=list)
    missed: list[Expected] = field(default_factory=list)
    false: list[Raised] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0


def score(expected: list[Expected], raised: list[Raised], *, complete: bool) -> Score:
    result = Score(expected=len(expected))
    unused = sorted(raised, key=lambda r: r.media_time_s)
    for event in sorted(expected, key=lambda e: e.at_s):
        match = next(
            (
                r
                for r in unused
                if r.rule == event.rule
                and event.at_s - EARLY_S <= r.media_time_s <= event.at_s + LATE_S
            ),
            None,
        )
        if match is None:
            result.missed.append(event)
            continue
        unused.remove(match)
        result.hits += 1
        result.latencies_s.append(match.media_time_s - event.at_s)
    if complete:
        result.false = unused
        result.false_alerts = len(unused)
    return result
