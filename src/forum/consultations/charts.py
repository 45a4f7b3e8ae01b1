"""Horizontal bar charts as data for the SVG macro (templates/consultations/_chart.html).

The SVG spans its container (width 100%, no viewBox), so bars are sized in percent and the text
stays at its real size on a phone instead of shrinking with the picture. Each row is a label line,
then a bar on a light track with the number beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from forum.consultations.queries import OptionCount, QuestionResults, SubjectRow

BAR_SPAN = 76.0  # percent of the width a full bar takes; the rest holds the number
ROW_HEIGHT = 52
LABEL_CHARS = 22  # longer labels are cut (the full text is in the bar's <title>)


@dataclass
class Bar:
    label: str
    short_label: str
    value: float
    value_text: str
    width: float  # percent of the chart's width
    label_y: int
    bar_y: int
    highlight: bool = False


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    bar_height: int = 16
    span: float = BAR_SPAN

    def text_x(self, bar: Bar) -> str:
        return f"{bar.width + 1.5:.2f}%"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(title: str, items: Sequence[tuple[str, float, str]], *, maximum: float) -> BarChart:
    """One bar per (label, value, text shown); a value of `maximum` fills BAR_SPAN percent."""
    top = max((v for _, v, _ in items), default=0)
    bars = []
    for i, (label, value, text) in enumerate(items):
        width = round(BAR_SPAN * value / maximum, 2) if maximum > 0 else 0.0
        bars.append(
            Bar(
                label=label,
                short_label=_short(label),
                value=value,
                value_text=text,
                width=min(max(width, 0.0), BAR_SPAN),
                label_y=i * ROW_HEIGHT + 16,
                bar_y=i * ROW_HEIGHT + 24,
                highlight=value > 0 and value == top,
            )
        )
    return BarChart(title, bars, height=max(len(bars), 1) * ROW_HEIGHT)


def option_chart(result: QuestionResults) -> BarChart:
    """Choice question: bar length = share of the people who answered it."""
    counts: list[OptionCount] = result.options
    return bar_chart(
        result.view.question.prompt,
        [(c.option.label, c.percent, f"{c.count} 人 · {c.percent:g}%") for c in counts],
        maximum=100,
    )


def rating_chart(result: QuestionResults) -> BarChart:
    total = sum(result.distribution.values())
    return bar_chart(
        result.view.question.prompt,
        [
            (f"{score} 分", 100 * count / total if total else 0, f"{count} 人")
            for score, count in result.distribution.items()
        ],
        maximum=100,
    )


def subject_chart(rows: Sequence[SubjectRow]) -> BarChart:
    """民主评议: each subject's average score out of 5."""
    return bar_chart(
        "各评议对象平均得分",
        [
            (r.subject, r.average or 0, f"{r.average:.2f} 分" if r.average is not None else "暂无评分")
            for r in rows
        ],
        maximum=5,
    )
