"""The campaign report's charts: matplotlib figures rendered to inline SVG.

Why matplotlib: the report must open offline from one small file (mailed, attached to a ticket, opened from a
CI artifact), so every chart is static SVG embedded in the page with no JavaScript and no CDN. Matplotlib is the
best-kept Python plotting library for that: real axes (log scales, integer round ticks, percent formatters),
legends laid out by its constrained layout so they are never clipped, and text kept as SVG text (selectable,
searchable, and checkable by the browser test). Plotly would give hover but embeds ~4 MB of JavaScript per report.

Each figure carries no title of its own: the page puts the title in a heading above the chart, in the same card,
so a grid can never separate them. Marks are tagged (`gid` "mark-...") and legends "legend-..." so the browser
test can count what was drawn.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count

STATUS_COLORS = {
    "OK": "#2ca02c", "COMPILE_ERROR": "#ff7f0e", "HARDWARE_EXCEPTION": "#d62728", "WRONG_ANSWER": "#9467bd",
    "TIMEOUT": "#8c564b", "RUNTIME_ERROR": "#e377c2", "SANDBOX_VIOLATION": "#17becf", "REJECTED": "#7f7f7f",
    "INTERNAL": "#bcbd22", "CANCELLED": "#c7c7c7",
}
SERIES_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"]
FONT_STACK = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif"  # DejaVu: the metrics matplotlib lays out with

_RC = {
    "svg.fonttype": "none",          # real <text>, not glyph outlines: small, selectable, testable
    "svg.hashsalt": "hawk-report",   # same data, same file
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "figure.dpi": 96,
}
_ids = count(1)


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "#555555")


@contextmanager
def _figure(width_in: float, height_in: float) -> Iterator:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context(_RC):
        yield Figure(figsize=(width_in, height_in), layout="constrained")


def _svg(fig, tooltips: dict[str, list[str]] | None = None) -> str:
    """The figure as an <svg> element for inlining: ids made unique in the page, size set by CSS, and the points
    of each tagged scatter given a <title> (the browser's own tooltip, no JavaScript)."""
    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    prefix = f"c{next(_ids)}-"
    # Several SVGs share one document: ids (clip paths, marker defs) must not collide between charts.
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="plot"', text, count=1)
    for gid, titles in (tooltips or {}).items():
        text = _titled(text, f'<g id="{prefix}{gid}">', titles)
    return text.replace('<svg xmlns:xlink', '<svg role="img" xmlns:xlink', 1)


def _titled(text: str, start: str, titles: list[str]) -> str:
    """Give the first len(titles) <use/> marks after `start` (one scatter's points, in data order) a <title>."""
    at = text.find(start)
    if at < 0:
        return text
    head, tail = text[:at], text[at:]
    it = iter(titles)

    def title(m: re.Match) -> str:
        t = next(it, None)
        return m.group(0) if t is None else f"{m.group(0)[:-2]}><title>{html.escape(t)}</title></use>"

    return head + re.sub(r"<use [^>]*/>", title, tail, count=len(titles))


def _tag(bars, gid: str) -> None:
    """Tag every bar of a container (ids stay unique within the chart)."""
    for i, patch in enumerate(bars):
        patch.set_gid(f"{gid}-{i}")


def _legend(fig, handles: Sequence, labels: Sequence[str], ncols: int) -> None:
    if handles:
        leg = fig.legend(handles, labels, loc="outside lower center", ncols=max(1, min(ncols, len(handles))),
                         handlelength=1.6, columnspacing=1.4)
        leg.set_gid("legend")


@dataclass
class Point:
    t_s: float          # seconds since the campaign started
    status: str
    time_us: float | None
    believed: bool = True  # False: a profile below the hardware floor (recorded, never a best)
    label: str = ""        # the point's tooltip: which candidate it is


def candidates_over_time(points: list[Point], baseline_us: float | None, floor_us: float | None,
                         width_in: float = 6.4, height_in: float = 3.3) -> str:
    """Every candidate of one task as a point: kernel time over campaign time, coloured by status, with the
    baseline, the hardware floor and the best so far. Failed candidates have no time: they sit as crosses on a
    strip below the axis so none is hidden."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    failed = [p for p in points if not p.time_us]
    kinds = sorted({p.status for p in failed})
    tips: dict[str, list[str]] = {}
    with _figure(width_in, height_in) as fig:
        if kinds:
            gs = fig.add_gridspec(2, 1, height_ratios=[5, 0.5 + 0.35 * len(kinds)], hspace=0.0)
            ax = fig.add_subplot(gs[0])
            strip = fig.add_subplot(gs[1], sharex=ax)
        else:
            ax = strip = fig.add_subplot()
        ok = [p for p in points if p.time_us]
        times = [p.time_us for p in ok] + [v for v in (baseline_us, floor_us) if v]
        handles, labels = [], []
        for status in sorted({p.status for p in ok}):
            for believed in (True, False):
                sel = [p for p in ok if p.status == status and p.believed == believed]
                if not sel:
                    continue
                color = status_color(status)
                m = ax.scatter([p.t_s for p in sel], [p.time_us for p in sel], s=26, zorder=3,
                               c=color if believed else "none", edgecolors=color, linewidths=1.2)
                m.set_gid(f"mark-ok-{len(tips)}")
                tips[m.get_gid()] = [p.label for p in sel]
                handles.append(m)
                labels.append(f"{status} ({len(sel)})" if believed else f"below floor, not believed ({len(sel)})")
        if ok:
            run, best, xs, ys = sorted((p for p in ok if p.believed), key=lambda p: p.t_s), math.inf, [], []
            for p in run:
                if p.time_us < best:
                    best = p.time_us
                    xs.append(p.t_s)
                    ys.append(best)
            if xs:
                xs.append(max(p.t_s for p in points))
                ys.append(best)
                (line,) = ax.step(xs, ys, where="post", color="#2ca02c", alpha=0.55, linewidth=1.4, zorder=2)
                line.set_gid("mark-best")
                handles.append(line)
                labels.append("best so far")
        if baseline_us:
            line = ax.axhline(baseline_us, color="#444444", linestyle="--", linewidth=1.2, zorder=1)
            line.set_gid("mark-baseline")
            handles.append(line)
            labels.append(f"baseline {baseline_us:,.1f} µs")
        if floor_us:
            line = ax.axhline(floor_us, color="#d62728", linestyle=":", linewidth=1.5, zorder=1)
            line.set_gid("mark-floor")
            handles.append(line)
            labels.append(f"hardware floor {floor_us:,.1f} µs")
        if times and max(times) / max(min(times), 1e-9) > 20:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.4g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        if times:
            lo, hi = min(times), max(times)
            pad = (hi - lo) * 0.08 or hi * 0.1
            if ax.get_yscale() == "linear":
                ax.set_ylim(max(0.0, lo - pad), hi + pad)
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
        ax.set_ylabel("kernel time (µs)")
        for i, status in enumerate(kinds):
            sel = [p for p in failed if p.status == status]
            m = strip.scatter([p.t_s for p in sel], [i] * len(sel), marker="x", s=30, color=status_color(status),
                              linewidths=1.5, zorder=3)
            m.set_gid(f"mark-failed-{i}")
            tips[m.get_gid()] = [p.label for p in sel]
            handles.append(Line2D([], [], marker="x", linestyle="", color=status_color(status), markersize=6,
                                  markeredgewidth=1.5))
            labels.append(f"{status} ({len(sel)})")
        if kinds:
            ax.tick_params(labelbottom=False)
            strip.set_ylim(-0.7, len(kinds) - 0.3)
            strip.set_yticks([])
            strip.set_ylabel("failed", rotation=0, ha="right", va="center")
            strip.grid(axis="y", visible=False)
            strip.spines["left"].set_visible(False)
        strip.set_xlabel("seconds since the campaign started")
        strip.xaxis.set_major_locator(MaxNLocator(nbins=8))
        if points:
            span = max(p.t_s for p in points) or 1.0
            strip.set_xlim(-0.03 * span, span * 1.03)
        _legend(fig, handles, labels, ncols=3)
        return _svg(fig, tips)


def best_speedup_per_task(rows: list[tuple[str, float | None, float | None]], width_in: float = 6.4) -> str:
    """Best speedup over the baseline per task (bars, 1.0x = the baseline), labelled with the floor fraction."""
    with _figure(width_in, 0.9 + 0.42 * max(1, len(rows))) as fig:
        ax = fig.add_subplot()
        names = [r[0] for r in rows][::-1]
        values = [r[1] or 0.0 for r in rows][::-1]
        bars = ax.barh(names, values, color=[SERIES_COLORS[i % 10] for i in range(len(rows))][::-1], height=0.6)
        _tag(bars, "mark-bar")
        top = max([1.0, *values])
        for bar, (_, sp, floor) in zip(bars, rows[::-1], strict=True):
            text = "no passing kernel" if sp is None else f"{sp:.2f}x" + (f"  ({floor:.0%} of floor)" if floor else "")
            ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=9)
        ax.axvline(1.0, color="#444444", linestyle="--", linewidth=1.1).set_gid("mark-baseline")
        ax.set_xlim(0, top * 1.45)
        ax.set_xlabel("best speedup over the baseline (x); dashed: the baseline")
        ax.grid(axis="y", visible=False)
        return _svg(fig)


def lines_by_round(series: dict[str, list[tuple[int, float]]], y_label: str, *, percent: bool = False,
                   width_in: float = 6.4, height_in: float = 3.0) -> str:
    """One line per task over rounds (1-based, integer ticks); percent axes run 0-100%."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    with _figure(width_in, height_in) as fig:
        ax = fig.add_subplot()
        handles = []
        for i, (name, pts) in enumerate(sorted(series.items())):
            if not pts:
                continue
            (line,) = ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", markersize=4,
                              color=SERIES_COLORS[i % 10], linewidth=1.8, label=name)
            line.set_gid("mark-line")
            handles.append(line)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        rounds = [x for pts in series.values() for x, _ in pts]
        if rounds:
            ax.set_xlim(min(rounds) - 0.3, max(rounds) + 0.3)
        ax.set_xlabel("round")
        ax.set_ylabel(y_label)
        if percent:
            ax.set_ylim(0, 1.0)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            ax.axhline(1.0, color="#444444", linestyle="--", linewidth=1.0).set_gid("mark-baseline")
            ax.set_ylim(bottom=0)
        _legend(fig, handles, [h.get_label() for h in handles], ncols=3)
        return _svg(fig)


def pass_rate_per_round(rounds: list[int], per_task: dict[str, list[tuple[int, int]]],
                        width_in: float = 6.4, height_in: float = 3.0) -> str:
    """Share of candidates that passed, per round, one bar per task (0-100%), each labelled passed/evaluated."""
    import numpy as np
    from matplotlib.ticker import PercentFormatter

    with _figure(width_in, height_in) as fig:
        ax = fig.add_subplot()
        names = sorted(per_task)
        width = 0.8 / max(1, len(names))
        x = np.arange(len(rounds))
        handles = []
        for i, name in enumerate(names):
            counts = per_task[name]
            rates = [p / n if n else 0.0 for p, n in counts]
            bars = ax.bar(x - 0.4 + width * (i + 0.5), rates, width * 0.92, color=SERIES_COLORS[i % 10],
                          label=name)
            _tag(bars, f"mark-bar{i}")
            handles.append(bars)
            if len(names) * len(rounds) <= 24:  # labels only while they fit
                for bar, (p, n) in zip(bars, counts, strict=True):
                    if n:
                        inside = bar.get_height() > 0.2
                        ax.text(bar.get_x() + bar.get_width() / 2,
                                bar.get_height() - 0.03 if inside else bar.get_height() + 0.02, f"{p}/{n}",
                                ha="center", va="top" if inside else "bottom", fontsize=7.5,
                                color="white" if inside else "#222222")
        ax.set_xticks(x, [str(r) for r in rounds])
        ax.set_xlabel("round")
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("candidates that passed")
        ax.grid(axis="x", visible=False)
        _legend(fig, handles, names, ncols=3)
        return _svg(fig)


def stacked_counts(categories: list[str], stacks: dict[str, list[float]], x_label: str, y_label: str,
                   colors: dict[str, str] | None = None, width_in: float = 6.4, height_in: float = 3.0) -> str:
    """Stacked bars: one bar per category, one segment per stack key (outcomes per round, tokens per round)."""
    import numpy as np

    with _figure(width_in, height_in) as fig:
        ax = fig.add_subplot()
        x = np.arange(len(categories))
        bottom = np.zeros(len(categories))
        handles, labels = [], []
        for i, (key, values) in enumerate(stacks.items()):
            vals = np.asarray(values, dtype=float)
            bars = ax.bar(x, vals, 0.6, bottom=bottom,
                          color=(colors or {}).get(key, SERIES_COLORS[i % 10]))
            _tag(bars, f"mark-bar{i}")
            bottom += vals
            handles.append(bars)
            labels.append(f"{key} ({vals.sum():,.0f})")
        ax.set_xticks(x, categories)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(axis="x", visible=False)
        _legend(fig, handles, labels, ncols=3)
        return _svg(fig)


def horizontal_bars(items: list[tuple[str, float, str]], x_label: str, *, signed: bool = False,
                    width_in: float = 6.4) -> str:
    """One labelled bar per item (name, value, text shown at the bar's end); signed: green up, red down."""
    with _figure(width_in, 0.9 + 0.36 * max(1, len(items))) as fig:
        ax = fig.add_subplot()
        names = [n for n, _, _ in items][::-1]
        values = [v for _, v, _ in items][::-1]
        colors = [("#2ca02c" if v >= 0 else "#d62728") if signed else SERIES_COLORS[0] for v in values]
        bars = ax.barh(names, values, color=colors, height=0.6)
        _tag(bars, "mark-bar")
        span = max([abs(v) for v in values] + [1e-9])
        for bar, (_, _, text) in zip(bars, items[::-1], strict=True):
            # Labels go right of the bar's end, or right of zero for a bar going left: never over the names.
            x = max(0.0, bar.get_width()) + span * 0.03
            ax.text(x, bar.get_y() + bar.get_height() / 2, text, va="center", ha="left", fontsize=8.5)
        if signed:
            ax.axvline(0, color="#444444", linewidth=1.0)
            ax.set_xlim(-span * 1.1 if min(values) < 0 else -span * 0.05, span * 2.2)
        else:
            ax.set_xlim(0, span * 1.35)
        ax.set_xlabel(x_label)
        ax.grid(axis="y", visible=False)
        return _svg(fig)
