"""Chart functions and the rows they draw, without the database: rows are built by hand."""

import importlib.util
import json
import re
from pathlib import Path

from cities.models import City
from networks import aggregates
from networks import charts
from networks.models import Code
from networks.models import Coding
from networks.models import Network
from tests.networks.figures import plotted

STATIC = Path(__file__).resolve().parents[2] / "static"

REPRESENTATION = {"code": "representation", "name": "Representation", "kind": "function"}
KNOWLEDGE = {"code": "knowledge", "name": "Knowledge sharing", "kind": "function"}
APPROPRIATENESS = {"code": "appropriateness", "name": "Norm adaptation", "kind": "logic"}


def cell(salience, outcome="met", evidence_count=1, perspective="city"):
    evidence = [
        {"id": n, "kind": "paraphrase", "text": f"Said {n}", "locator": "", "source": "S", "citation": "S"}
        for n in range(evidence_count)
    ]
    return {
        "salience": salience,
        "outcome": outcome,
        "perspective": perspective,
        "evidence_count": evidence_count,
        "evidence": evidence,
        "coders": ["Seed"],
        "codings": [],
    }


def matrix(*rows, codes=(REPRESENTATION, KNOWLEDGE, APPROPRIATENESS)):
    """A `comparison_matrix`-shaped dict from (city slug, network slug, {code: cell}) rows."""
    return {
        "codes": list(codes),
        "rows": [
            {
                "city": {"slug": city, "name": city.title(), "country": "NO"},
                "network": {"slug": network, "name": network.title(), "acronym": ""},
                "cells": {code["code"]: cells.get(code["code"]) for code in codes},
            }
            for city, network, cells in rows
        ],
    }


def oslo_and_copenhagen():
    return aggregates.matrix_grid(
        matrix(
            ("copenhagen", "eurocities", {"representation": cell(1, "unknown"), "knowledge": cell(3, "mixed", 2)}),
            (
                "oslo",
                "eurocities",
                {"representation": cell(3, "met", 2), "knowledge": cell(3), "appropriateness": cell(2, "")},
            ),
        )
    )


def test_comparison_figure_colours_each_cell_by_salience_and_marks_the_outcome():
    heatmap = plotted(charts.comparison_figure(oslo_and_copenhagen())).data[0]
    assert heatmap.type == "heatmap"
    assert [list(row) for row in heatmap.z] == [[1, 3, None], [3, 3, 2]]
    assert heatmap.text[0][0] == "1?" and heatmap.text[1][0] == "3✓" and heatmap.text[0][1] == "3±"
    # One band below 0 holds the cells coded but not rated (UNRATED_Z).
    assert (heatmap.zmin, heatmap.zmax) == (-1.5, 3.5)


def test_comparison_figure_hover_tells_outcome_and_evidence_count():
    hover = plotted(charts.comparison_figure(oslo_and_copenhagen())).data[0].hovertext
    assert "Outcome: mixed" in hover[0][1] and "Evidence: 2 items" in hover[0][1]
    assert hover[0][2] == "Copenhagen × Norm adaptation: not coded"


def test_comparison_figure_cells_carry_the_anchor_of_their_evidence():
    grid = oslo_and_copenhagen()
    heatmap = plotted(charts.comparison_figure(grid)).data[0]
    assert heatmap.customdata[1][0] == "evidence-oslo--eurocities--representation"
    assert heatmap.customdata[1][0] == grid["rows"][1]["cells"][0]["anchor"]
    assert heatmap.customdata[0][2] == ""


def test_comparison_figure_outlines_uncoded_cells_and_rules_off_the_logics():
    shapes = plotted(charts.comparison_figure(oslo_and_copenhagen())).layout.shapes
    outlines = [shape for shape in shapes if shape.type == "rect"]
    rules = [shape for shape in shapes if shape.type == "line"]
    assert len(outlines) == 1 and outlines[0].line.dash == "dot"
    assert outlines[0].x0 < 2 < outlines[0].x1 and outlines[0].y0 < 0 < outlines[0].y1
    assert len(rules) == 1 and rules[0].x0 == 1.5


def test_narrow_comparison_figure_puts_the_codes_down_the_side():
    figure = plotted(charts.comparison_figure(oslo_and_copenhagen(), narrow=True))
    heatmap = figure.data[0]
    assert list(figure.layout.xaxis.ticktext) == ["Copenhagen", "Oslo"]
    assert list(figure.layout.yaxis.ticktext)[:2] == ["Representation", "Knowledge"]
    assert [list(row) for row in heatmap.z] == [[1, 3], [3, 3], [None, 2]]
    assert heatmap.customdata[0][1] == "evidence-oslo--eurocities--representation"


def test_comparison_figure_labels_rows_with_their_network_when_several_are_shown():
    grid = aggregates.matrix_grid(
        matrix(("oslo", "eurocities", {"knowledge": cell(3)}), ("vejle", "100rc", {"knowledge": cell(3)}))
    )
    assert list(plotted(charts.comparison_figure(grid)).layout.yaxis.ticktext) == ["Oslo · Eurocities", "Vejle · 100Rc"]


def test_matrix_contrasts_name_where_two_cities_differ_most():
    contrasts = aggregates.matrix_contrasts(oslo_and_copenhagen())
    assert [contrast["code"] for contrast in contrasts] == ["representation", "appropriateness"]
    assert contrasts[0]["spread"] == 2
    assert contrasts[0]["values"] == [
        {"label": "Oslo", "coded": True, "salience": 3},
        {"label": "Copenhagen", "coded": True, "salience": 1},
    ]


def test_matrix_contrasts_count_a_code_only_one_city_has_without_calling_it_zero():
    contrasts = aggregates.matrix_contrasts(oslo_and_copenhagen())
    appropriateness = next(contrast for contrast in contrasts if contrast["code"] == "appropriateness")
    assert appropriateness["not_coded_for_some"] and appropriateness["spread"] == 2
    assert appropriateness["values"] == [
        {"label": "Oslo", "coded": True, "salience": 2},
        {"label": "Copenhagen", "coded": False, "salience": None},
    ]


def test_comparison_figure_labels_the_line_between_functions_and_logics():
    for narrow in (False, True):
        notes = plotted(charts.comparison_figure(oslo_and_copenhagen(), narrow=narrow)).layout.annotations
        assert [note.name for note in notes] == ["functions-and-logics"]
        assert "functions" in notes[0].text and "logics" in notes[0].text


def test_comparison_figure_hover_gives_the_codes_definition():
    grid = oslo_and_copenhagen()
    for row in grid["rows"]:
        row["cells"][0]["definition"] = "The network speaks for its members. It lobbies."
    hover = plotted(charts.comparison_figure(grid)).data[0].hovertext
    assert "<i>The network speaks for its members.</i>" in hover[1][0]


def test_portfolio_figure_shows_each_network_by_code_with_gaps_outlined():
    portfolio = {
        "codes": [REPRESENTATION, KNOWLEDGE, APPROPRIATENESS],
        "networks": [
            {
                "network": {"slug": "eurocities", "name": "Eurocities", "acronym": ""},
                "spells": ["2000–"],
                "functions": {"knowledge": 3},
                "logics": {"appropriateness": 2},
            },
            {
                "network": {"slug": "100rc", "name": "100 Resilient Cities", "acronym": "100RC"},
                "spells": ["2013–2019"],
                "functions": {"knowledge": 1},
                "logics": {},
            },
        ],
        "overlaps": {"knowledge": ["eurocities", "100rc"]},
        "gaps": ["representation"],
    }
    grid = aggregates.portfolio_grid(portfolio, "oslo")
    figure = plotted(charts.portfolio_figure(grid))
    assert list(figure.layout.yaxis.ticktext) == ["Eurocities", "100RC"]
    assert [list(row) for row in figure.data[0].z] == [[None, 3, 2], [None, 1, None]]
    assert figure.data[0].customdata[1][1] == "evidence-oslo--100rc--knowledge"
    assert grid["overlaps"] == [{**KNOWLEDGE, "networks": ["Eurocities", "100 Resilient Cities"]}]
    assert grid["gaps"] == [REPRESENTATION]
    assert sum(shape.type == "rect" for shape in figure.layout.shapes) == 3


def offer_rows():
    """100RC as the study codes it: the network stresses capacity and policy, cities knowledge."""
    network = Network(pk=1, slug="100rc", name="100 Resilient Cities")
    codes = {
        slug: Code(pk=n, code=slug, name=slug.title(), kind=Code.Kind.FUNCTION, position=n)
        for n, slug in enumerate(["policy", "capacity", "knowledge"], start=1)
    }
    vejle, chennai = City(pk=1, slug="vejle", name="Vejle"), City(pk=2, slug="chennai", name="Chennai")

    def coding(city, code, salience, perspective):
        return Coding(city=city, network=network, code=codes[code], salience=salience, perspective=perspective)

    codings = [
        coding(None, "capacity", 3, "network"),
        coding(None, "policy", 3, "network"),
        coding(None, "knowledge", 1, "network"),
        coding(vejle, "knowledge", 3, "city"),
        coding(vejle, "policy", 2, "researcher"),
        coding(chennai, "capacity", 3, "city"),
        coding(chennai, "knowledge", 2, "city"),
    ]
    return aggregates.network_offer_and_use(codings, codes.values())


def test_offer_and_use_sets_the_networks_view_beside_its_members_own_view():
    offers = offer_rows()
    by_code = {function["code"]: function for function in offers["functions"]}
    assert offers["members_coded"] == 2
    assert by_code["knowledge"]["network_salience"] == 1 and by_code["knowledge"]["members_mean"] == 2.5
    # Vejle's policy coding is the researchers' reading, not its informants': it does not count.
    assert by_code["policy"]["members_mean"] == 0 and by_code["policy"]["members_mentioning"] == 0
    assert offers["network_stresses"] == ["Policy", "Capacity"]
    assert offers["members_stress"] == ["Knowledge"]


def test_offer_and_use_keeps_the_researchers_analysis_apart_and_names_who_each_side_counts():
    offers = offer_rows()
    by_code = {function["code"]: function for function in offers["functions"]}
    assert offers["members_counted"] == ["Chennai", "Vejle"]
    assert offers["researchers_counted"] == ["Vejle"]
    assert by_code["policy"]["researchers_mean"] == 2 and by_code["policy"]["researchers"][0]["name"] == "Vejle"
    assert offers["researchers_stress"] == ["Policy"]


def test_offer_and_use_figure_draws_a_bar_per_perspective_and_function_each_reaching_its_evidence():
    figure = plotted(charts.offer_and_use_figure(offer_rows()))
    network, members, researchers = figure.data
    assert figure.layout.barmode == "group"
    assert list(network.y) == ["Policy", "Capacity", "Knowledge"]
    assert list(network.x) == [3, 3, 1]
    assert list(members.x) == [0, 1.5, 2.5]
    assert "mean over 2 (Chennai, Vejle)" in members.name
    assert "Vejle 3, Chennai 2" in members.hovertext[2]
    # No informant names policy, but the researchers code it 2: "not named", never a bare 0.
    assert members.text[0] == "not named" and list(researchers.x) == [2, 0, 0]
    assert list(researchers.customdata) == [
        "offer-policy-researchers",
        "offer-capacity-researchers",
        "offer-knowledge-researchers",
    ]


def test_offer_and_use_hover_names_the_first_members_and_counts_the_rest():
    codes = [Code(pk=1, code="knowledge", name="Knowledge", kind=Code.Kind.FUNCTION, position=1)]
    members = [
        {"slug": f"city-{n:02}", "name": f"City {n:02}", "code": "knowledge", "salience": 3 if n < 5 else 1}
        for n in range(25)
    ]
    figure = plotted(charts.offer_and_use_figure(aggregates.offer_and_use({}, members, codes)))
    hover = figure.data[1].hovertext[0]
    # The five rated 3 come first; a network of 10,000 members does not name them all in a tooltip.
    assert "City 00 3, City 01 3, City 02 3, City 03 3, City 04 3, City 05 1" in hover
    assert "City 19 1 and 5 more" in hover and "City 20" not in hover


def test_engagement_figure_marks_a_peak_with_a_star_and_an_approximate_date_open():
    rows = [
        {
            "network": "Eurocities",
            "date": "2018-01-01",
            "when": "2018",
            "level": 1,
            "level_label": "Low",
            "peak": False,
            "approximate": False,
            "source": "Study, p. 68",
        },
        {
            "network": "Eurocities",
            "date": "2010-01-01",
            "when": "about 2010",
            "level": 3,
            "level_label": "High",
            "peak": True,
            "approximate": True,
            "source": "Study, p. 68",
        },
    ]
    line = plotted(charts.engagement_figure(rows)).data[0]
    assert list(line.x) == ["2010-01-01", "2018-01-01"]
    assert list(line.y) == [3, 1]
    assert list(line.marker.symbol) == ["star-open", "circle"]
    assert "the peak" in line.hovertext[0]


def logic_rows():
    grid = aggregates.matrix_grid(
        matrix(
            (
                "copenhagen",
                "eurocities",
                {"representation": cell(1), "knowledge": cell(3, evidence_count=2), "appropriateness": cell(2, "", 2)},
            ),
            ("oslo", "eurocities", {"representation": cell(3), "knowledge": cell(3), "appropriateness": cell(2, "")}),
            ("vejle", "100rc", {"representation": cell(1), "knowledge": cell(3), "appropriateness": cell(2, "")}),
        )
    )
    return aggregates.logic_weights(grid)


def test_logic_weights_add_function_salience_to_the_strategic_side():
    rows = logic_rows()
    assert [(row["strategic"], row["legitimacy"]) for row in rows] == [(4, 2), (6, 2), (4, 2)]
    assert rows[0]["consequences"] is None and rows[0]["evidence_count"] == 5
    assert [item["code"] for item in rows[0]["logic_evidence"]] == ["appropriateness", "appropriateness"]


def test_logics_figure_spreads_points_that_would_overlap_and_links_each_to_its_evidence():
    rows = logic_rows()
    figure = plotted(charts.logics_figure(rows))
    eurocities, resilient = figure.data
    assert [trace.name for trace in figure.data] == ["Eurocities", "100Rc"]
    # Copenhagen and Vejle share (4, 2): one is lifted, the other lowered.
    assert eurocities.y[0] < 2 < resilient.y[0]
    assert eurocities.y[1] == 2
    # A click opens the quotes behind the point's logics in the panel (static/js/citynet.js).
    assert list(eurocities.customdata) == ["evidence-logics-copenhagen--eurocities", "evidence-logics-oslo--eurocities"]
    assert list(eurocities.customdata) == [row["evidence_anchor"] for row in rows[:2]]
    assert list(eurocities.marker.size) == [5, 3]


def places():
    return [
        {
            "slug": "oslo",
            "name": "Oslo",
            "country": "NO",
            "kind": "City",
            "latitude": 59.9,
            "longitude": 10.7,
            "url": "/cities/oslo/",
            "networks": ["Eurocities"],
            "network_slugs": ["eurocities"],
        },
        {
            "slug": "london",
            "name": "London",
            "country": "GB",
            "kind": "City",
            "latitude": 51.5,
            "longitude": -0.1,
            "url": "/cities/london/",
            "networks": ["100RC", "Eurocities"],
            "network_slugs": ["100rc", "eurocities"],
        },
        {
            "slug": "kadikoy",
            "name": "Kadikoy",
            "country": "TR",
            "kind": "District",
            "latitude": None,
            "longitude": None,
            "url": "/cities/kadikoy/",
            "networks": ["Eurocities"],
            "network_slugs": ["eurocities"],
        },
    ]


def test_member_map_draws_one_trace_per_set_of_networks_and_skips_places_without_coordinates():
    figure = plotted(charts.member_map_figure(places()))
    assert [trace.type for trace in figure.data] == ["scattergeo", "scattergeo"]
    assert [trace.name for trace in figure.data] == ["Eurocities", "100RC & Eurocities"]
    assert list(figure.data[0].customdata) == ["/cities/oslo/"]
    assert sum(len(trace.lat) for trace in figure.data) == 2


def test_member_map_for_a_phone_is_the_same_map_with_its_own_layout_and_no_second_copy_of_the_places():
    wide, narrow = charts.member_map_figures(places())
    assert wide == charts.member_map_figure(places())
    # The page script draws the narrow layout with the wide figure's data (static/js/citynet.js).
    assert "data" not in narrow
    assert {**narrow, "data": wide["data"]} == charts.member_map_figure(places(), narrow=True)
    plotted({**narrow, "data": wide["data"]})


def test_member_map_zooms_to_regional_members_and_shows_the_world_for_global_ones():
    assert plotted(charts.member_map_figure(places())).layout.geo.fitbounds == "locations"
    world = places() + [
        {**places()[0], "slug": "lima", "name": "Lima", "latitude": -12.0, "longitude": -77.0},
        {**places()[0], "slug": "sydney", "name": "Sydney", "latitude": -33.9, "longitude": 151.2},
    ]
    geo = plotted(charts.member_map_figure(world)).layout.geo
    assert geo.fitbounds is False and list(geo.lataxis.range) == [-58, 85]


def graph():
    return {
        "nodes": [
            {"id": "network:a", "kind": "network", "label": "Alpha", "url": "/networks/a/"},
            {"id": "network:b", "kind": "network", "label": "Beta", "url": "/networks/b/"},
            {"id": "subnetwork:a/f", "kind": "subnetwork", "label": "Forum", "url": None},
            {"id": "city:oslo", "kind": "city", "label": "Oslo", "url": "/cities/oslo/", "network_count": 1},
            {"id": "city:london", "kind": "city", "label": "London", "url": "/cities/london/", "network_count": 2},
            {"id": "city:lima", "kind": "city", "label": "Lima", "url": "/cities/lima/", "network_count": 1},
        ],
        "edges": [
            {"source": "network:a", "target": "subnetwork:a/f", "kind": "subnetwork", "weight": 1},
            {"source": "city:oslo", "target": "network:a", "kind": "member", "weight": 1},
            {"source": "city:london", "target": "network:a", "kind": "member", "weight": 1},
            {"source": "city:london", "target": "network:b", "kind": "member", "weight": 1},
            {"source": "city:lima", "target": "network:b", "kind": "member", "weight": 1},
            {"source": "network:a", "target": "network:b", "kind": "shares_members", "weight": 1},
        ],
    }


def test_graph_layout_puts_shared_members_between_their_networks():
    positions = charts.graph_layout(graph())
    (ax, _), (bx, _) = positions["network:a"], positions["network:b"]
    assert ax < positions["city:london"][0] < bx
    assert positions["city:oslo"][0] < positions["city:london"][0] < positions["city:lima"][0]
    assert charts.graph_layout(graph()) == positions


def test_network_graph_lists_each_nodes_neighbours_for_the_hover_highlight():
    figure = plotted(charts.network_graph_figure(graph()))
    nodes = next(trace for trace in figure.data if trace.name == "nodes")
    assert any(trace.name == "highlight" for trace in figure.data)
    london = [node["label"] for node in graph()["nodes"]].index("London")
    url, neighbours = nodes.customdata[london]
    assert url == "/cities/london/" and neighbours == [0, 1]
    assert any("1 shared member" in annotation.text for annotation in figure.layout.annotations)


def test_network_graph_enlarges_and_labels_what_the_search_finds():
    plain = next(trace for trace in plotted(charts.network_graph_figure(graph())).data if trace.name == "nodes")
    found = next(trace for trace in plotted(charts.network_graph_figure(graph(), "lond")).data if trace.name == "nodes")
    london = 4
    assert found.text[london] == "London" and plain.text[london] == ""
    assert found.marker.size[london] > plain.marker.size[london]
    assert found.marker.opacity[3] < 1 and found.marker.opacity[london] == 1


def test_narrow_network_graph_stands_the_layout_on_end():
    wide = next(trace for trace in plotted(charts.network_graph_figure(graph())).data if trace.name == "nodes")
    narrow = next(
        trace for trace in plotted(charts.network_graph_figure(graph(), narrow=True)).data if trace.name == "nodes"
    )
    assert abs(wide.x[0] - wide.x[1]) > abs(wide.y[0] - wide.y[1])
    assert abs(narrow.y[0] - narrow.y[1]) > abs(narrow.x[0] - narrow.x[1])


def test_city_pair_figure_puts_the_first_city_first():
    grid = oslo_and_copenhagen()
    figure = plotted(charts.city_pair_figure(grid, ["oslo", "copenhagen"]))
    assert [trace.name for trace in figure.data] == ["Oslo · Eurocities", "Copenhagen · Eurocities"]
    assert list(figure.data[0].x) == [3, 3, 2]
    assert figure.data[1].customdata[0] == "evidence-copenhagen--eurocities--representation"


def test_figures_are_plain_json_with_our_fonts_and_no_plotly_template():
    data = charts.comparison_figure(oslo_and_copenhagen())
    assert charts.figure_json(data) is data
    assert json.loads(json.dumps(data)) == data
    assert "system-ui" in data["layout"]["font"]["family"]
    # Plotly's default template would add kilobytes of styling to every figure.
    assert "template" not in data["layout"]
    assert "cdn" not in json.dumps(data).lower()


def test_vendored_plotly_js_is_the_one_shipped_with_the_installed_plotly():
    # Found, not imported: the product builds figures as dicts, and plotly.js is vendored.
    shipped = Path(importlib.util.find_spec("plotly").origin).parent / "package_data" / "plotly.min.js"
    vendored = STATIC / "js" / "plotly.min.js"
    version = re.compile(rb"plotly\.js v(\d+\.\d+\.\d+)")
    assert version.search(vendored.read_bytes()[:500]).group(1) == version.search(shipped.read_bytes()[:500]).group(1)


def test_vendored_world_topojson_has_the_layers_the_map_draws():
    topology = json.loads((STATIC / "topojson" / "world_110m.json").read_text())
    assert {"land", "countries", "coastlines", "ocean"} <= set(topology["objects"])


def test_engagement_figure_draws_observations_as_points_each_reaching_its_source():
    rows = [
        {"id": 7, "network": "Eurocities", "date": "2010-01-01", "when": "about 2010", "level": 3},
        {"id": 8, "network": "Eurocities", "date": "2018-01-01", "when": "2018", "level": 1},
    ]
    for row in rows:
        row.update(level_label="", peak=False, approximate=False, source="Study, p. 68")
    figure = plotted(charts.engagement_figure(rows))
    # No line from 2010 to 2018: the study reports nothing between, so none is drawn or implied.
    assert figure.data[0].mode == "markers"
    assert list(figure.data[0].customdata) == ["engagement-7", "engagement-8"]
    assert "nothing is reported between them" in figure.layout.annotations[0].text


def test_a_heatmap_narrow_figure_is_the_wide_ones_cells_turned_a_quarter():
    # The page carries the narrow heatmap as a layout alone (charts.turned_layout) and the
    # script draws the wide figure's cells transposed: that is what the narrow figure holds.
    wide = charts.comparison_figure(oslo_and_copenhagen())
    narrow = charts.comparison_figure(oslo_and_copenhagen(), narrow=True)
    carried = charts.turned_layout(narrow)
    assert carried == {"layout": narrow["layout"], "transpose": True}
    (wide_cells,), (narrow_cells,) = wide["data"], narrow["data"]
    for key in ("z", "text", "hovertext", "customdata"):
        assert narrow_cells[key] == [list(column) for column in zip(*wide_cells[key], strict=True)], key
    assert (narrow_cells["x"], narrow_cells["y"]) == (wide_cells["y"], wide_cells["x"])
    assert {
        key: value
        for key, value in narrow_cells.items()
        if key not in ("z", "text", "hovertext", "customdata", "x", "y")
    } == {
        key: value for key, value in wide_cells.items() if key not in ("z", "text", "hovertext", "customdata", "x", "y")
    }
