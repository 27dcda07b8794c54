"""Bench: the figures of each contender, and the Markdown table and goal checks made of them."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path

_MS = 1_000_000
GOAL_WARM_VS_FLOOR = 1.3
GOAL_RSS_GROWTH_KIB = 1024


@dataclass(slots=True)
class Figures:
    """What was measured of one contender; times in nanoseconds, memory in KiB."""

    key: str
    label: str
    failure: str | None = None
    errors: int = 0
    cold_next: list[int] = field(default_factory=list)
    cold_first: list[int] = field(default_factory=list)
    block_medians: list[float] = field(default_factory=list)
    warm: list[int] = field(default_factory=list)
    big: list[int] = field(default_factory=list)
    rss_idle: int | None = None
    rss_warm: int | None = None
    rss_soak: int | None = None
    fds_idle: int | None = None
    fds_warm: int | None = None
    fds_soak: int | None = None

    def add_block(self, timings: list[int]) -> None:
        self.warm.extend(timings)
        self.block_medians.append(statistics.median(timings))

    def value(self, metric: str) -> float | None:  # noqa: PLR0911 - one branch per metric
        """A metric by name, in the unit the table shows, or None when not measured."""
        if metric == "cold_next":
            return _median_ms(self.cold_next)
        if metric == "cold_first":
            return _median_ms(self.cold_first)
        if metric == "warm":
            return statistics.median(self.block_medians) / _MS if self.block_medians else None
        if metric == "warm_p99":
            return _p99(self.warm) / _MS if len(self.warm) >= 100 else None
        if metric == "big":
            return _median_ms(self.big)
        if metric == "rss_idle":
            return None if self.rss_idle is None else self.rss_idle / 1024
        if metric == "rss_warm":
            return None if self.rss_warm is None else self.rss_warm / 1024
        if metric == "rss_soak":
            return None if self.rss_soak is None else self.rss_soak / 1024
        if metric == "rss_growth":
            if self.rss_warm is None or self.rss_soak is None:
                return None
            return self.rss_soak - self.rss_warm
        raise KeyError(metric)


def _median_ms(values: list[int]) -> float | None:
    return statistics.median(values) / _MS if values else None


def _p99(values: list[int]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


# (metric, row title, format, whether ratios mean something)
ROWS = (
    ("cold_next", "cold start: process start -> first `next` (ms)", "{:.1f}", True),
    ("cold_first", "cold start: process start -> first response posted (ms)", "{:.1f}", True),
    ("warm", "warm `true`: per invocation, median (ms)", "{:.2f}", True),
    ("warm_p99", "warm `true`: per invocation, p99 (ms)", "{:.2f}", True),
    ("big", "1 MiB of output: per invocation, median (ms)", "{:.2f}", True),
    ("rss_idle", "RSS idle after start (MiB)", "{:.1f}", True),
    ("rss_warm", "RSS after warm-up (MiB)", "{:.1f}", True),
    ("rss_soak", "RSS after the soak (MiB)", "{:.1f}", True),
    ("rss_growth", "RSS growth over the soak (KiB)", "{:+.0f}", False),
)


def render(figures: list[Figures], options: argparse.Namespace, elapsed: float) -> str:
    by_key = {f.key: f for f in figures}
    floor, peer = by_key.get("floor"), by_key.get("peer")
    lines = [
        "| | " + " | ".join(f.label for f in figures) + " |",
        "|---|" + "---:|" * len(figures),
    ]
    for metric, title, number, ratios in ROWS:
        cells = [_cell(f, metric, number, floor if ratios else None, peer if ratios else None)
                 for f in figures]  # fmt: skip
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    fds = ["/".join(_text(n) for n in (f.fds_idle, f.fds_warm, f.fds_soak)) for f in figures]
    lines.append("| open fds: idle / after warm-up / after soak | " + " | ".join(fds) + " |")
    if any(f.errors for f in figures):
        errors = " | ".join(str(f.errors) for f in figures)
        lines.append(f"| invocations answered as errors | {errors} |")
    lines += ["", *_notes(figures, options, elapsed), *_goals(figures, floor, peer)]
    return "\n".join(lines)


def _cell(f: Figures, metric: str, number: str, floor: Figures | None, peer: Figures | None) -> str:
    if f.failure is not None:
        return "failed"
    value = f.value(metric)
    if value is None:
        return "-"
    ratios = []
    if f.key != "floor":
        for other in (floor, peer):
            ratio = None if other is f else _ratio(f, other, metric)
            if other is not None and ratio is not None:
                ratios.append(f"{ratio:.2f}x {other.key}")
    return number.format(value) + (f" ({', '.join(ratios)})" if ratios else "")


def _text(number: int | None) -> str:
    return "-" if number is None else str(number)


def _notes(figures: list[Figures], options: argparse.Namespace, elapsed: float) -> list[str]:
    load = " / ".join(f"{n:.2f}" for n in os.getloadavg())
    notes = [
        f"Machine: {len(os.sched_getaffinity(0))} cores ({_cpu_model()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {load} at the end.",
        f"Cold start: median of {options.cold_repeats} starts. Warm: median of "
        f"{options.soak // options.block} block medians of {options.block} invocations "
        f"(p99 over all {options.soak // options.block * options.block}), after "
        f"{options.warm_up} warm-up invocations. 1 MiB: median of {options.big}. "
        f"Took {elapsed:.0f} s.",
    ]
    notes += [f"{f.label} failed: {f.failure}" for f in figures if f.failure is not None]
    return notes


def _goals(figures: list[Figures], floor: Figures | None, peer: Figures | None) -> list[str]:
    lines = []
    for ours in (f for f in figures if f.key in ("ours", "standalone") and f.failure is None):
        checks = [
            ("warm per invocation <= peer", _ratio(ours, peer, "warm"), 1.0),
            (f"warm per invocation <= {GOAL_WARM_VS_FLOOR}x floor", _ratio(ours, floor, "warm"),
             GOAL_WARM_VS_FLOOR),
            ("cold start (first `next`) <= peer", _ratio(ours, peer, "cold_next"), 1.0),
            ("idle RSS <= peer", _ratio(ours, peer, "rss_idle"), 1.0),
        ]  # fmt: skip
        for name, ratio, limit in checks:
            if ratio is not None:
                verdict = "met" if ratio <= limit else f"MISSED by {ratio / limit - 1:.0%}"
                lines.append(f"- {ours.label}: {name}: {ratio:.2f}x - {verdict}")
        growth = ours.value("rss_growth")
        if growth is not None:
            verdict = "met" if growth < GOAL_RSS_GROWTH_KIB else "MISSED"
            name = "RSS growth < 1 MiB over the soak"
            lines.append(f"- {ours.label}: {name}: {growth:+.0f} KiB - {verdict}")
        if ours.fds_warm is not None and ours.fds_soak is not None:
            verdict = "met" if ours.fds_soak == ours.fds_warm else "MISSED"
            change = f"{ours.fds_warm} -> {ours.fds_soak}"
            lines.append(f"- {ours.label}: no fd growth: {change} - {verdict}")
    return ["", "Goals:", *lines] if lines else []


def _ratio(f: Figures, other: Figures | None, metric: str) -> float | None:
    if other is None or other.failure is not None:
        return None
    value, base = f.value(metric), other.value(metric)
    return None if value is None or not base else value / base


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()
