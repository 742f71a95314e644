"""Every Plotly figure Citynet draws. The only module that imports plotly.

Each `<subject>_figure(rows)` takes plain data (the shapes built in `networks.aggregates`)
and returns a `go.Figure`; nothing here touches the database, a request or the settings.
Views turn a figure into JSON with `figure_json` and the page's static script draws it
with the vendored plotly.js. Click targets travel in `customdata`: the id of the evidence
an element stands for, or the URL of the page it opens."""

from networks.charts.bars import city_pair_figure, engagement_figure, logics_figure, offer_and_use_figure
from networks.charts.heatmaps import comparison_figure, portfolio_figure
from networks.charts.places import graph_layout, member_map_figure, network_graph_figure
from networks.charts.style import (
    ACCENT,
    AGREEMENT_LINES,
    AGREEMENT_TEXT,
    FONT,
    GOLDEN_ANGLE,
    INK,
    LINE,
    LOGIC_INK,
    MUTED,
    NETWORK_SIDE,
    OUTCOME_MARKS,
    OUTCOME_WORDS,
    PALETTE,
    SALIENCE_COLOURS,
    figure_json,
    short_label,
)

__all__ = [
    "ACCENT",
    "AGREEMENT_LINES",
    "AGREEMENT_TEXT",
    "FONT",
    "GOLDEN_ANGLE",
    "INK",
    "LINE",
    "LOGIC_INK",
    "MUTED",
    "NETWORK_SIDE",
    "OUTCOME_MARKS",
    "OUTCOME_WORDS",
    "PALETTE",
    "SALIENCE_COLOURS",
    "city_pair_figure",
    "comparison_figure",
    "engagement_figure",
    "figure_json",
    "graph_layout",
    "logics_figure",
    "member_map_figure",
    "network_graph_figure",
    "offer_and_use_figure",
    "portfolio_figure",
    "short_label",
]
