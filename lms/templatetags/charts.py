"""Charts drawn as inline SVG by the project's own code: no script, no CDN. A table beside each carries the figures."""

from django import template

register = template.Library()

ROW_HEIGHT = 28
LABEL_WIDTH = 130
BAR_WIDTH = 220
VALUE_WIDTH = 50
# Colours of the stacked segments, in order; the legend repeats them, so colour is never the only cue.
PALETTE = ["#2f7d4f", "#7fb069", "#e0a458", "#c8553d", "#5b7c99", "#8e7dbe", "#9aa5a0"]


@register.inclusion_tag("includes/bar_chart.html")
def bar_chart(rows, title=""):
    """Horizontal bars for rows of {"label", "value", "percent"}."""
    bars = []
    for index, row in enumerate(rows):
        bars.append(
            {
                "label": row["label"],
                "value": row["value"],
                "y": index * ROW_HEIGHT,
                "text_y": index * ROW_HEIGHT + 18,
                "width": round(BAR_WIDTH * row["percent"] / 100, 1),
                "value_x": round(LABEL_WIDTH + BAR_WIDTH * row["percent"] / 100 + 4, 1),
            }
        )
    return {
        "bars": bars,
        "title": title,
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "width": LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        "label_width": LABEL_WIDTH,
        "bar_x": LABEL_WIDTH,
        "bar_height": ROW_HEIGHT - 8,
    }


@register.inclusion_tag("includes/stacked_chart.html")
def stacked_chart(rows, series, title=""):
    """One horizontal bar a row, split into segments: rows of {"label", "values": [n per series]};
    `series` names the segments in order. Each bar is scaled to the largest row total."""
    largest = max([sum(row["values"]) for row in rows] + [1])
    bars = []
    for index, row in enumerate(rows):
        x, segments = float(LABEL_WIDTH), []
        for position, value in enumerate(row["values"]):
            width = round(BAR_WIDTH * value / largest, 1)
            if width:
                segments.append({"x": round(x, 1), "width": width, "colour": PALETTE[position % len(PALETTE)]})
            x += width
        bars.append(
            {
                "label": row["label"],
                "total": sum(row["values"]),
                "y": index * ROW_HEIGHT + 4,
                "text_y": index * ROW_HEIGHT + 18,
                "segments": segments,
                "total_x": round(x + 4, 1),
            }
        )
    return {
        "bars": bars,
        "title": title,
        "legend": [{"name": name, "colour": PALETTE[i % len(PALETTE)]} for i, name in enumerate(series)],
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "width": LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        "bar_height": ROW_HEIGHT - 8,
    }
