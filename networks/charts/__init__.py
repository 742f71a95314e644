"""Every Plotly figure Citynet draws.

Each `<subject>_figure(rows)` takes plain data (the shapes built in `networks.aggregates`)
and returns a plotly.js figure as plain data, {"data": [trace dicts], "layout": {...}};
nothing here touches the database, a request or the settings. The figures are dicts, not
`go.Figure`s: plotly.py's validation of every property cost more than the rest of a page
built from an empty cache (issue 15), so it runs in the chart tests instead (each figure
there goes through `go.Figure`). A page embeds a figure with json_script and its static
script draws it with the vendored plotly.js. Click targets travel in `customdata`: the id
of the evidence an element stands for, or the URL of the page it opens."""

from networks.charts.bars import city_pair_figure
from networks.charts.bars import engagement_figure
from networks.charts.bars import logics_figure
from networks.charts.bars import offer_and_use_figure
from networks.charts.heatmaps import comparison_figure
from networks.charts.heatmaps import portfolio_figure
from networks.charts.heatmaps import turned_layout
from networks.charts.places import graph_layout
from networks.charts.places import member_map_figure
from networks.charts.places import member_map_figures
from networks.charts.places import network_graph_figure
from networks.charts.style import ACCENT
from networks.charts.style import AGREEMENT_LINES
from networks.charts.style import AGREEMENT_TEXT
from networks.charts.style import FONT
from networks.charts.style import GOLDEN_ANGLE
from networks.charts.style import INK
from networks.charts.style import LINE
from networks.charts.style import LOGIC_INK
from networks.charts.style import MUTED
from networks.charts.style import NETWORK_SIDE
from networks.charts.style import OUTCOME_MARKS
from networks.charts.style import OUTCOME_WORDS
from networks.charts.style import PALETTE
from networks.charts.style import SALIENCE_COLOURS
from networks.charts.style import figure_json
from networks.charts.style import short_label

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
    "member_map_figures",
    "network_graph_figure",
    "offer_and_use_figure",
    "portfolio_figure",
    "short_label",
    "turned_layout",
]
