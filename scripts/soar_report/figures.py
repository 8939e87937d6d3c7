"""matplotlib helpers: a grid of line panels (each a few series, optionally with a shaded band)."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


class Series:
    """One line: xs, ys (None values are left out), and an optional band (lows, highs) around it."""

    def __init__(self, label, xs, ys, band=None, marker=None, style="-"):
        self.label, self.xs, self.ys, self.band, self.marker, self.style = label, xs, ys, band, marker, style


class Panel:
    def __init__(self, title, series, ylabel=None, ylim=None, note=None):
        self.title, self.series, self.ylabel, self.ylim, self.note = title, series, ylabel, ylim, note


def known(xs, ys):
    pairs = [(x, y) for x, y in zip(xs, ys) if y is not None]
    return [x for x, _ in pairs], [y for _, y in pairs]


def draw_series(ax, s):
    xs, ys = known(s.xs, s.ys)
    if not xs:
        return
    marker = s.marker or ("o" if len(xs) <= 12 else None)
    line, = ax.plot(xs, ys, s.style, marker=marker, markersize=3.5, label=s.label, linewidth=1.4)
    if s.band:
        points = [(x, lo, hi) for x, lo, hi in zip(s.xs, *s.band) if lo is not None and hi is not None]
        if points:
            ax.fill_between([p[0] for p in points], [p[1] for p in points], [p[2] for p in points],
                            color=line.get_color(), alpha=0.18, linewidth=0)


def panel_grid(panels, xlabel, columns=3, width=4.2, height=2.9):
    """A figure of the panels, `columns` wide; empty cells are hidden."""
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        for s in panel.series:
            draw_series(ax, s)
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        if panel.ylabel:
            ax.set_ylabel(panel.ylabel, fontsize=8)
        if panel.ylim:
            ax.set_ylim(*panel.ylim)
        if panel.note:
            ax.text(0.5, 0.5, panel.note, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.4")
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.25)
        if len(panel.series) > 1:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return fig


def bar_chart(categories, groups, xlabel, ylabel, title=None, size=(8, 3.6)):
    """Grouped bars: groups is [(label, [value per category])]."""
    fig, ax = plt.subplots(figsize=size)
    width = 0.8 / max(1, len(groups))
    for j, (label, values) in enumerate(groups):
        ax.bar([x + j * width for x in range(len(categories))], values, width=width, label=label)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(categories))], categories)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if len(groups) > 1:
        ax.legend(fontsize=7)
    ax.grid(alpha=0.25, axis="y")
    return fig
