"""Checking the chart functions' figures as plotly.js will read them.

The chart functions build plain dicts (networks/charts/): validating a `go.Figure` on every
request cost more than the rest of a page built from an empty cache (issue 15). Plotly's own
validation runs here instead, on every figure a chart test looks at."""

import json

import plotly.graph_objects as go


def plotted(figure: dict) -> go.Figure:
    """`figure` as plotly validates it, to assert on its attributes (`.data[0].z`). Fails
    when the dict is not plain JSON data (a page embeds it as it is) or when plotly rejects a
    trace type, a property or a value in it."""
    assert json.loads(json.dumps(figure, allow_nan=False)) == figure, "a figure is plain JSON data"
    return go.Figure(figure)
