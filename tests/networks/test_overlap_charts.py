"""What the many-network pages compute and draw, from rows built by hand (no database)."""

import datetime

from networks.charts.overlap import overlap_figure
from networks.charts.overlap import overlap_pairs_figure
from networks.charts.overlap import timeline_figure
from networks.overlap import members_per_year
from networks.overlap import merge_spans
from networks.overlap import overlap_matrix
from networks.overlap import timeline_table
from tests.networks.figures import plotted

NETWORKS = [
    {"id": 1, "slug": "gcom", "name": "Global Covenant of Mayors", "label": "GCoM", "members": 4},
    {"id": 2, "slug": "c40", "name": "C40 Cities", "label": "C40", "members": 2},
    {"id": 3, "slug": "iclei", "name": "ICLEI", "label": "ICLEI", "members": 1},
]
# Places 10..13 in GCoM; 10 and 11 also in C40; 13 also in ICLEI.
PAIRS = [(1, 10), (1, 11), (1, 12), (1, 13), (2, 10), (2, 11), (3, 13)]


def test_overlap_matrix_counts_shared_places_and_their_share_of_the_row_network():
    overlap = overlap_matrix(NETWORKS, PAIRS)
    assert overlap["cells"][1][0] == {"shared": 2, "share": 1.0}
    assert overlap["cells"][0][1] == {"shared": 2, "share": 0.5}
    assert overlap["cells"][1][2]["shared"] == 0
    assert [(pair["a"], pair["b"], pair["shared"], pair["jaccard"]) for pair in overlap["pairs"]] == [
        ("GCoM", "C40", 2, 0.5),
        ("GCoM", "ICLEI", 1, 0.25),
    ]


def test_overlap_figure_leaves_the_diagonal_blank_and_links_every_cell():
    overlap = overlap_matrix(NETWORKS, PAIRS)
    for row in overlap["cells"]:
        for cell in row:
            cell["url"] = "/networks/overlap/?a=x&b=y#members"
    figure = plotted(overlap_figure(overlap))
    heatmap = figure.data[0]
    assert heatmap.z[0][0] is None and heatmap.z[1][0] == 1.0
    assert heatmap.customdata[1][0] == "/networks/overlap/?a=x&b=y#members"
    assert list(figure.layout.yaxis.ticktext) == ["GCoM (4)", "C40 (2)", "ICLEI (1)"]
    assert figure.layout.yaxis.autorange == "reversed"


def test_overlap_figure_keeps_fifty_networks_to_a_readable_cell_size():
    networks = [{**NETWORKS[0], "id": n, "label": f"Network number {n} with a long name"} for n in range(50)]
    figure = plotted(overlap_figure(overlap_matrix(networks, [(n, 1) for n in range(50)])))
    assert figure.layout.height >= 22 * 50
    assert all(len(label) <= 30 for label in figure.layout.xaxis.ticktext)
    assert figure.data[0].texttemplate == ""  # counts in the hover and the table beyond 30


def test_pairs_figure_shows_the_largest_pairs_first():
    pairs = overlap_matrix(NETWORKS, PAIRS)["pairs"]
    bars = plotted(overlap_pairs_figure(pairs)).data[0]
    assert list(bars.x) == [2, 1]
    assert list(bars.y) == ["GCoM & C40", "GCoM & ICLEI"]


def test_members_per_year_counts_a_place_in_every_year_of_its_spell_by_year_precision():
    spells = [
        (1, 10, datetime.date(2010, 3, 1), datetime.date(2012, 12, 31)),  # month known: Mar 2010 to 2012
        (1, 10, datetime.date(2012, 1, 1), None),  # rejoined the year it left: counted once
        (1, 11, datetime.date(2011, 1, 1), datetime.date(2011, 6, 30)),
        (1, 12, None, None),  # no start date
    ]
    timeline = members_per_year(NETWORKS[:1], spells, this_year=2013)
    points = {point["year"]: point for point in timeline["series"][1]}
    assert timeline["years"] == [2010, 2011, 2012, 2013]
    assert [points[year]["members"] for year in timeline["years"]] == [1, 2, 1, 1]
    assert points[2011]["left"] == 1 and points[2013]["left"] == 0
    assert timeline["undated"] == {1: 1}
    assert timeline_table(timeline)[0] == {"year": 2013, "counts": [1]}


def test_merge_spans_joins_overlapping_and_touching_years():
    assert merge_spans([(2012, 2015), (2010, 2012), (2017, 2018)]) == [(2010, 2015), (2017, 2018)]


def test_timeline_figure_draws_a_line_per_network_linking_to_its_year_rows():
    spells = [(1, 10, datetime.date(2012, 1, 1), None), (2, 10, datetime.date(2013, 1, 1), None)]
    timeline = members_per_year(NETWORKS[:2], spells, this_year=2013)
    figure = plotted(timeline_figure(timeline))
    assert [trace.name for trace in figure.data] == ["GCoM", "C40"]
    assert list(figure.data[0].customdata) == ["year-2012", "year-2013"]
    assert plotted(timeline_figure(timeline, narrow=True)).layout.legend.orientation == "h"
