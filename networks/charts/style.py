"""Citynet's chart style: colours (salience, outcome, agreement, a colour-blind-safe palette), the
shared layout and a figure as the JSON a page embeds."""

import math

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
INK = "#1d2330"
MUTED = "#5b6475"
LINE = "#d9dee7"
ACCENT = "#1f5fa8"
NETWORK_SIDE = "#c2571a"
LOGIC_INK = "#a0521d"
# Salience 0..3, the same four colours as the salience badges in citynet.css.
SALIENCE_COLOURS = ["#eef1f5", "#cfe0f3", "#7fb0e0", "#1f5fa8"]
# Coded but not rated: white with a solid grey outline, apart from 0 (pale grey) and from
# an uncoded cell (a dotted outline), as `.salience.unrated` in citynet.css.
UNRATED_COLOUR = "#ffffff"
UNRATED_LINE = {"color": "#8a94a6", "width": 1.5, "dash": "solid"}
OUTCOME_MARKS = {"met": "✓", "mixed": "±", "unmet": "✗", "unknown": "?", "": ""}
OUTCOME_WORDS = {
    "met": "met",
    "mixed": "mixed",
    "unmet": "unmet",
    "unknown": "unknown",
    "": "not applicable",
}
# A cell coded by several coders gets an outline: solid where they agree, dashed where they
# do not (dash and colour both differ, so the marks survive colour blindness and greyscale).
AGREEMENT_LINES = {
    "agreed": {"color": "#009e73", "width": 2.5, "dash": "solid"},
    "disputed": {"color": "#d55e00", "width": 3, "dash": "dash"},
}
AGREEMENT_TEXT = {"agreed": " =", "disputed": " ≠"}
# Colour-blind-safe qualitative palette (Okabe and Ito).
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"]
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def figure_json(figure: dict) -> dict:
    """The figure as the plain JSON data a page embeds with json_script: the chart functions
    already return it ({"data": [...], "layout": {...}}), so this is the figure itself."""
    return figure


def short_label(column: dict) -> str:
    """A code's short axis label, from its slug: 'knowledge' -> 'Knowledge'."""
    return column["code"].replace("-", " ").replace("_", " ").capitalize()


def base_layout(**overrides) -> dict:
    # No template: plotly.js draws the figure with its own defaults (plotly.py's "none").
    layout = {
        "font": {"family": FONT, "size": 13, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "hoverlabel": {"font": {"family": FONT, "size": 13}, "align": "left"},
        "dragmode": False,
        "showlegend": False,
    }
    layout.update(overrides)
    return layout


def code_tick(column: dict) -> str:
    # Logics are set apart from functions in the colour the pages use for them.
    label = short_label(column)
    return label if column["kind"] == "function" else f'<span style="color:{LOGIC_INK}">{label}</span>'
