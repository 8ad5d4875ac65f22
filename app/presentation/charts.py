"""Server-side SVG charts: pure functions from plain numbers to an accessible SVG string.

Every chart has a ``<title>``, a ``<desc>`` that states the data in words, ``role="img"`` and an
``aria-label``; every bar carries its value as text, so nothing depends on colour alone. Colours
come from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
No script, no external font or stylesheet, and only presentation attributes (no ``style``), so a
strict Content-Security-Policy keeps working. All text is escaped here; callers pass plain text.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from app.domain.learning.calibration import Bin

# Okabe & Ito, "Color Universal Design" (2008).
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
OKABE_ITO = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)

INK = "#1F2933"
MUTED = "#52606D"
GRID = "#D9E2EC"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
WIDTH = 400

# Characters XML 1.0 forbids (log lines carry ANSI escapes and other control bytes).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    """One layer of a stacked chart: its key in the data, its legend label and its colour."""

    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class DayStack:
    """The counts of one day, by series key."""

    day: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value, the text to print for it and an optional second line."""

    label: str
    value: float
    display: str | None = None
    note: str | None = None

    @property
    def text(self) -> str:
        return self.display if self.display is not None else compact(self.value)


def compact(value: float) -> str:
    """12 → "12", 1234 → "1.2k", 2_500_000 → "2.5M"."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _t(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def _a(text: str) -> str:
    return quoteattr(_NOT_XML.sub("", text))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _ink_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG relative luminance)."""
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return BLACK if (luminance + 0.05) / 0.05 >= 4.5 else "#FFFFFF"


def _nice_step(top: float, ticks: int = 4, *, whole: bool = True) -> float:
    raw = max(top, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return max(1.0, math.ceil(step)) if whole else step


def _svg(title: str, desc: str, height: int, body: list[str], chart_id: str | None) -> str:
    ident = chart_id or _slug(title)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="100%" role="img" aria-label={_a(title)} '
            f'aria-labelledby="{ident}-title {ident}-desc" class="chart" '
            f'font-family={_a(FONT)} font-size="13" fill="{INK}">',
            f'<title id="{ident}-title">{_t(title)}</title>',
            f'<desc id="{ident}-desc">{_t(desc)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _empty(title: str, message: str, chart_id: str | None, height: int = 120) -> str:
    body = [
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{height - 1}" rx="6" '
        f'fill="#F5F7FA" stroke="{GRID}"/>',
        f'<text x="{WIDTH / 2}" y="{height / 2 + 5}" text-anchor="middle" '
        f'fill="{MUTED}">{_t(message)}</text>',
    ]
    return _svg(title, f"{title}: {message}", height, body, chart_id)


def _legend(series: Sequence[Series], y: float) -> tuple[list[str], float]:
    """Colour keys with their labels, wrapped onto more lines when they do not fit."""
    parts, x = [], 0.0
    for s in series:
        width = 16 + 7 * len(s.label) + 14
        if x and x + width > WIDTH:
            x, y = 0.0, y + 18
        parts.append(f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" fill="{s.colour}"/>')
        parts.append(f'<text x="{x + 16:.1f}" y="{y}" font-size="12">{_t(s.label)}</text>')
        x += width
    return parts, y


def stacked_day_bars(
    days: Sequence[DayStack],
    series: Sequence[Series],
    *,
    title: str,
    empty_message: str = "No incidents in this period yet",
    chart_id: str | None = None,
) -> str:
    """Vertical bars, one per day, stacked by series, with each segment's count and the total."""
    top_value = max((d.total for d in days), default=0)
    if top_value == 0:
        return _empty(title, empty_message, chart_id)
    body, legend_end = _legend(series, 14)
    left, top, bottom = 34, legend_end + 26, 26
    height = int(top) + 184 + bottom
    plot_w, plot_h = WIDTH - left - 4, height - top - bottom
    step = _nice_step(top_value)
    ceiling = step * math.ceil(top_value / step)
    body += _y_axis(left, top, plot_w, plot_h, ceiling, step, fmt=compact)
    slot = plot_w / len(days)
    every = max(1, math.ceil(len(days) / 7))
    for i, day in enumerate(days):
        x, width = left + i * slot + slot * 0.15, slot * 0.7
        y = top + plot_h
        for s in series:
            count = day.counts.get(s.key, 0)
            if count <= 0:
                continue
            h = plot_h * count / ceiling
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{_t(f"{day.day}: {count} {s.label}")}</title></rect>'
            )
            if h >= 14 and width >= 14:
                body.append(_label(x + width / 2, y + h / 2 + 4, str(count), _ink_on(s.colour)))
        if day.total:
            body.append(_label(x + width / 2, y - 4, str(day.total), INK, weight="600"))
        if (len(days) - 1 - i) % every == 0:
            body.append(_label(x + width / 2, height - 8, day.day[5:], MUTED, size=12))
    desc = f"{title}. " + "; ".join(
        f"{d.day}: {d.total} ("
        + ", ".join(f"{d.counts.get(s.key, 0)} {s.label}" for s in series if d.counts.get(s.key))
        + ")"
        for d in days
        if d.total
    )
    return _svg(title, desc, height, body, chart_id)


def _label(x: float, y: float, text: str, fill: str, *, size: int = 12, weight: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{size}" '
        f'fill="{fill}"{bold}>{_t(text)}</text>'
    )


def _y_axis(
    left: float,
    top: float,
    plot_w: float,
    plot_h: float,
    ceiling: float,
    step: float,
    *,
    fmt: Callable[[float], str],
) -> list[str]:
    parts = []
    ticks = int(round(ceiling / step))
    for k in range(ticks + 1):
        value = step * k
        y = top + plot_h - plot_h * value / ceiling
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{MUTED}">{_t(fmt(value))}</text>'
        )
    return parts


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    title: str,
    colour: str = BLUE,
    max_value: float | None = None,
    empty_message: str = "No data yet",
    chart_id: str | None = None,
) -> str:
    """One row per bar: the label above, the bar below it with its value at the end.

    Labels sit above the bars so that long names stay readable on a narrow screen.
    """
    if not bars or all(b.value <= 0 for b in bars):
        return _empty(title, empty_message, chart_id)
    ceiling = max_value or max(b.value for b in bars)
    row = 40 + (16 if any(b.note for b in bars) else 0)
    height = 8 + row * len(bars)
    usable = WIDTH - 56
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = 8 + i * row
        body.append(f'<text x="0" y="{y + 12}">{_t(clip(bar.label, WIDTH // 7))}</text>')
        if bar.note:
            body.append(
                f'<text x="0" y="{y + 28}" font-size="12" fill="{MUTED}">'
                f"{_t(clip(bar.note, WIDTH // 6))}</text>"
            )
        bar_y = y + row - 22
        width = max(2.0, usable * min(bar.value, ceiling) / ceiling) if bar.value > 0 else 0
        body.append(
            f'<rect x="0" y="{bar_y}" width="{width:.1f}" height="14" rx="2" fill="{colour}">'
            f"<title>{_t(f'{bar.label}: {bar.text}')}</title></rect>"
        )
        body.append(
            f'<text x="{width + 6:.1f}" y="{bar_y + 12}" font-size="12" font-weight="600">'
            f"{_t(bar.text)}</text>"
        )
    desc = f"{title}. " + "; ".join(f"{b.label}: {b.text}" for b in bars)
    return _svg(title, desc, height, body, chart_id)


def day_bars(
    bars: Sequence[Bar],
    *,
    title: str,
    colour: str = SKY_BLUE,
    empty_message: str = "No data in this period yet",
    chart_id: str | None = None,
) -> str:
    """Vertical bars, one per day (``Bar.label`` is the ISO date), each with its value; a bar's
    note (say, its cost) goes into its tooltip and the description."""
    top_value = max((b.value for b in bars), default=0)
    if top_value <= 0:
        return _empty(title, empty_message, chart_id)
    height, left, top, bottom = 210, 40, 18, 26
    plot_w, plot_h = WIDTH - left - 4, height - top - bottom
    step = _nice_step(top_value)
    ceiling = step * math.ceil(top_value / step)
    body = _y_axis(left, top, plot_w, plot_h, ceiling, step, fmt=compact)
    slot = plot_w / len(bars)
    every = max(1, math.ceil(len(bars) / 7))
    for i, bar in enumerate(bars):
        x, width = left + i * slot + slot * 0.15, slot * 0.7
        h = plot_h * bar.value / ceiling
        y = top + plot_h - h
        if bar.value > 0:
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{_t(_day_text(bar))}</title></rect>'
            )
            body.append(_label(x + width / 2, y - 4, bar.text, INK, size=11))
        if (len(bars) - 1 - i) % every == 0:
            body.append(_label(x + width / 2, height - 8, bar.label[5:], MUTED))
    desc = f"{title}. " + "; ".join(_day_text(b) for b in bars if b.value > 0)
    return _svg(title, desc, height, body, chart_id)


def _day_text(bar: Bar) -> str:
    return f"{bar.label}: {bar.text}" + (f", {bar.note}" if bar.note else "")


def calibration_plot(
    bins: Sequence[Bin],
    *,
    title: str,
    empty_message: str = "No fixes with a known outcome yet",
    chart_id: str | None = None,
) -> str:
    """Reliability diagram: per confidence bin, the observed success rate as a bar, the mean
    confidence as a point, and the diagonal a perfectly calibrated system would follow."""
    if not bins:
        return _empty(title, empty_message, chart_id)
    height, left, top, bottom, right = 300, 56, 12, 44, 12
    plot_w, plot_h = WIDTH - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + plot_w * v

    def py(v: float) -> float:
        return top + plot_h * (1 - v)

    body = _y_axis(left, top, plot_w, plot_h, 1.0, 0.25, fmt=lambda v: f"{v:.2f}")
    for k in range(6):
        v = k / 5
        body.append(_label(px(v), top + plot_h + 16, f"{v:.1f}", MUTED))
    body.append(_label(left + plot_w / 2, height - 6, "confidence", MUTED))
    body.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="12" '
        f'fill="{MUTED}" transform="rotate(-90 12 {top + plot_h / 2:.1f})">observed success</text>'
    )
    for b in bins:
        x0, x1 = px(b.low) + 1, px(b.high) - 1
        body.append(
            f'<rect x="{x0:.1f}" y="{py(b.success_rate):.1f}" width="{x1 - x0:.1f}" '
            f'height="{py(0) - py(b.success_rate):.1f}" fill="{SKY_BLUE}" fill-opacity="0.55" '
            f'stroke="{BLUE}"><title>{_t(_bin_text(b))}</title></rect>'
        )
        body.append(
            f'<circle cx="{px(b.mean_confidence):.1f}" cy="{py(b.success_rate):.1f}" r="4" '
            f'fill="{BLUE}"/>'
        )
        tall = py(0) - py(b.success_rate) >= 22
        label_y = py(0) - 6 if tall else py(b.success_rate) - 8
        body.append(_label((x0 + x1) / 2, label_y, f"n={b.count}", INK, size=11))
    body.append(
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="{VERMILLION}" '
        'stroke-width="2" stroke-dasharray="6 4"/>'
    )
    body.append(
        f'<text x="{px(0.04):.1f}" y="{py(0.9):.1f}" font-size="12" fill="{VERMILLION}">'
        "dashed: perfect calibration</text>"
    )
    desc = f"{title}. " + "; ".join(_bin_text(b) for b in bins)
    return _svg(title, desc, height, body, chart_id)


def _bin_text(b: Bin) -> str:
    return (
        f"confidence {b.low:.1f}–{b.high:.1f}: {b.count} fixes, mean confidence "
        f"{b.mean_confidence:.2f}, observed success {b.success_rate:.2f}"
    )
