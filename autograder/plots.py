"""The class report's figures, as <img> tags with embedded PNGs. matplotlib
is imported only when a figure is drawn (its Agg canvas directly, not
pyplot), so importing this module stays cheap."""

import base64
import io
import statistics

from autograder.pages import BLUE, GREY, ORANGE, RED, e

MISTAKES_IN_CHART = 15
PLOT_WIDTH = 10.3  # inches at 100 px each: the width of the page's column


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style(axes):
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_axisbelow(True)


def _png(figure, alt):
    """The figure as an <img> with a base64 PNG data URI (drawn at 2x for sharp text)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=200, metadata={"Software": None})
    width = int(figure.get_figwidth() * 100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="plot" width="{width}" alt="{e(alt)}" src="data:image/png;base64,{data}">'


def _plain(text):
    """Text for a matplotlib label: no mathtext."""
    return str(text).replace("$", r"\$")


def histogram_plot(totals, max_total):
    figure = _figure(PLOT_WIDTH, 3.4)
    axes = figure.add_subplot()
    top = max_total if max_total > 0 else max(totals + [1.0])
    step = 10 if top >= 50 else max(top / 10, 1)
    edges = [0.0]
    while edges[-1] < top - 1e-9:
        edges.append(min(edges[-1] + step, top))
    axes.hist(totals, bins=edges, color=BLUE, edgecolor="white", linewidth=1.5)
    mean, median = statistics.fmean(totals), statistics.median(totals)
    axes.axvline(mean, color=ORANGE, linewidth=2, label=f"mean {mean:.3g}")
    axes.axvline(median, color=RED, linewidth=2, linestyle="--", label=f"median {median:.3g}")
    axes.set_xlim(0, top)
    axes.set_xticks(edges)
    axes.set_xlabel(f"total score (out of {top:g})")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color="#e6e6e6")
    axes.legend(frameon=False, loc="upper left")
    _style(axes)
    return _png(figure, "Histogram of total scores")


def questions_plot(stats):
    figure = _figure(PLOT_WIDTH, 3.6)
    axes = figure.add_subplot()
    positions = range(len(stats))
    axes.bar(positions, [s["max"] for s in stats], color=GREY, width=0.65, label="points available")
    axes.bar(positions, [s["mean"] for s in stats], color=BLUE, width=0.65, label="mean score",
             yerr=[s["std"] for s in stats], capsize=6, error_kw={"ecolor": "#333333", "elinewidth": 1.3})
    axes.set_xticks(list(positions), [_plain(f"{s['function']}\nmean {s['mean']:.3g} / {s['max']:g}")
                                      for s in stats])
    axes.set_ylabel("points")
    axes.set_ylim(0, max([s["max"] for s in stats] + [s["mean"] + s["std"] for s in stats] + [1]) * 1.15)
    axes.grid(axis="y", color="#e6e6e6")
    axes.legend(frameon=False, loc="upper left", ncols=2)
    _style(axes)
    return _png(figure, "Mean score per question, with standard deviations")


def mistakes_plot(counts):
    """counts: [((function, mistake), n), ...] most frequent first."""
    shown = counts[:MISTAKES_IN_CHART]
    figure = _figure(PLOT_WIDTH, 0.9 + 0.4 * len(shown))
    axes = figure.add_subplot()
    labels = [_plain(f"{function}: {mistake}") for (function, mistake), _ in shown]
    values = [n for _, n in shown]
    positions = range(len(shown))
    axes.barh(positions, values, color=ORANGE, height=0.6)
    for y, n in zip(positions, values):
        axes.annotate(str(n), (n, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("submissions")
    axes.set_xlim(0, max(values) * 1.12)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="x", color="#e6e6e6")
    _style(axes)
    return _png(figure, "Most frequent diagnosed mistakes")
