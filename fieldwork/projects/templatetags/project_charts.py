"""Bar charts drawn as inline SVG by the project's own code: no script, no CDN."""

from django import template

register = template.Library()

ROW_HEIGHT = 28
LABEL_WIDTH = 130
BAR_WIDTH = 220
VALUE_WIDTH = 50


@register.inclusion_tag("projects/_bar_chart.html")
def bar_chart(rows, title=""):
    """Horizontal bars for rows of {"label", "value", "percent"}; the table beside it carries the figures."""
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
