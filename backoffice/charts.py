"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing to download.

Each function takes plain figures (Decimals) and labels and returns safe markup; every
text that reaches the SVG goes through `format_html`, so names cannot inject markup.
"""

from decimal import Decimal

from django.utils.html import format_html, format_html_join


def _n(value) -> str:
    """A coordinate as SVG text (format_html escapes its arguments before formatting)."""
    return f"{value:.1f}"


def _joined(parts):
    """Safe parts (each built by `format_html`) as one safe string."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _scale(values, length: float):
    """A function mapping an amount to a bar length; zero and negative amounts draw none."""
    top = max((value for value in values if value > 0), default=Decimal(0))
    if top <= 0:
        return lambda value: 0.0
    return lambda value: float(max(value, 0) / top) * length


def horizontal_bars(rows, *, title: str, css_class: str = "bar-aging", width: int = 420):
    """`rows`: `[(label, amount, amount_text, css_class or None)]`, one bar each."""
    label_width, text_width, bar_height, gap = 70, 110, 18, 6
    bar_room = width - label_width - text_width
    scale = _scale([amount for _, amount, _, _ in rows], bar_room)
    height = len(rows) * (bar_height + gap) + 24
    parts = []
    for index, (label, amount, text, own_class) in enumerate(rows):
        y = 20 + index * (bar_height + gap)
        length = scale(amount)
        parts.append(
            format_html(
                '<text x="0" y="{}">{}</text>'
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{}: {}</title></rect>"
                '<text x="{}" y="{}">{}</text>',
                y + 13,
                label,
                own_class or css_class,
                label_width,
                y,
                _n(length),
                bar_height,
                label,
                text,
                _n(label_width + length + 6),
                y + 13,
                text,
            )
        )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg">'
        '<text x="0" y="12" font-weight="bold">{}</text>{}</svg>',
        title,
        width,
        height,
        width,
        height,
        title,
        _joined(parts),
    )


def grouped_columns(periods, series, *, title: str, width: int = 560, height: int = 220):
    """A column pair per period: `periods` = `[(label, {series name: amount})]`,
    `series` = `[(name, legend text, css_class)]`. Amount texts are in the tooltips."""
    top_margin, bottom_margin, left = 40, 30, 4
    plot_height = height - top_margin - bottom_margin
    slot = (width - left) / max(len(periods), 1)
    bar_width = max((slot - 6) / max(len(series), 1), 2)
    scale = _scale(
        [figures[name][0] for _, figures in periods for name, _, _ in series], plot_height
    )
    parts = []
    for index, (label, figures) in enumerate(periods):
        x0 = left + index * slot
        for position, (name, legend, css_class) in enumerate(series):
            amount, text = figures[name]
            length = scale(amount)
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{} {}: {}</title></rect>",
                    css_class,
                    _n(x0 + position * bar_width),
                    _n(top_margin + plot_height - length),
                    _n(bar_width - 1),
                    _n(length),
                    label,
                    legend,
                    text,
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(x0 + slot / 2 - 3),
                height - 12,
                label,
            )
        )
    legend = format_html_join(
        "",
        '<rect class="{}" x="{}" y="{}" width="10" height="10"></rect>'
        '<text x="{}" y="{}">{}</text>',
        (
            (css_class, width - 200 + i * 100, 20, width - 186 + i * 100, 29, text)
            for i, (_, text, css_class) in enumerate(series)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg">'
        '<text x="0" y="12" font-weight="bold">{}</text>{}'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#999"></line>{}</svg>',
        title,
        width,
        height,
        width,
        height,
        title,
        legend,
        top_margin + plot_height,
        width,
        top_margin + plot_height,
        _joined(parts),
    )
