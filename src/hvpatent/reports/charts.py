"""Charts for bulletins: PNG images drawn by matplotlib with a CJK font installed on the machine.

The font comes from Debian's fonts-noto-cjk (installed by `make`); no network at run time.
A missing font is an error, never boxes in place of characters.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: draw to files

from matplotlib import font_manager
from matplotlib import pyplot as plt

FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",   # Debian fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",             # Debian fonts-wqy-zenhei
)
FONT_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Zen Hei")
PALETTE = ("#b22222", "#1f4e79", "#d4a017", "#2e7d32", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037")


class FontMissing(RuntimeError):
    pass


@cache
def cjk_font() -> str:
    """The family name of an installed CJK font, registered with matplotlib."""
    for path in FONT_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in FONT_FAMILIES:
        if family in names:
            return family
    raise FontMissing("没有找到中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk，或运行 make）"
                      " / no CJK font: install Debian's fonts-noto-cjk")


def _figure(width: float = 7.0, height: float = 3.4):
    plt.rcParams["font.family"] = cjk_font()
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(width, height), dpi=150)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def line_chart(title: str, labels: list[str], series: dict[str, list[float | None]], unit: str) -> bytes:
    """Trend over quarter-ends; one line per series, values written on the last point."""
    fig, ax = _figure()
    for i, (name, values) in enumerate(series.items()):
        xs = [x for x, v in zip(labels, values, strict=True) if v is not None]
        ys = [v for v in values if v is not None]
        ax.plot(xs, ys, marker="o", color=PALETTE[i % len(PALETTE)], label=name)
        if ys:
            ax.annotate(f"{ys[-1]:,.2f}".rstrip("0").rstrip("."), (xs[-1], ys[-1]), textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.tick_params(axis="x", labelsize=8)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def ranked_bars(title: str, items: list[tuple[str, float]], unit: str, highlight: float | None = None) -> bytes:
    """Horizontal bars, largest on top; an optional reference line (e.g. the district's value)."""
    items = sorted(items, key=lambda kv: kv[1])
    fig, ax = _figure(7.0, max(2.4, 0.28 * len(items) + 1.0))
    ax.barh([k for k, _ in items], [v for _, v in items], color=PALETTE[1])
    for y, (_, v) in enumerate(items):
        ax.text(v, y, f" {v:,.2f}".rstrip("0").rstrip("."), va="center", fontsize=7)
    if highlight is not None:
        ax.axvline(highlight, color=PALETTE[0], linestyle="--", linewidth=1)
    ax.set_title(title)
    ax.set_xlabel(unit)
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def column_chart(title: str, items: list[tuple[str, float]], unit: str) -> bytes:
    fig, ax = _figure()
    ax.bar([k for k, _ in items], [v for _, v in items], color=[PALETTE[i % len(PALETTE)] for i in range(len(items))])
    for x, (_, v) in enumerate(items):
        ax.text(x, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.tick_params(axis="x", labelsize=8, rotation=20)
    return _png(fig)
