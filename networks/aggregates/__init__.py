"""The aggregates Citynet shows and serves: the comparison matrix, facets and a city's
portfolio. Pure functions over rows and model instances already fetched (no queries
here); the API and the HTML pages both call these, so a number is computed once."""

from networks.aggregates.matrix import MATRIX_COLUMNS
from networks.aggregates.matrix import city_portfolio
from networks.aggregates.matrix import code_columns
from networks.aggregates.matrix import coding_row
from networks.aggregates.matrix import coding_rows
from networks.aggregates.matrix import comparison_matrix
from networks.aggregates.matrix import comparison_matrix_from_rows
from networks.aggregates.matrix import evidence_line
from networks.aggregates.matrix import evidence_rows
from networks.aggregates.matrix import facet_counts
from networks.aggregates.matrix import leading_within
from networks.aggregates.matrix import matrix_flat_rows
from networks.aggregates.matrix import summarise_cell
from networks.aggregates.matrix import summarise_rows
from networks.aggregates.quotes import agreement_counts
from networks.aggregates.quotes import agreement_display
from networks.aggregates.quotes import agreement_flat_rows
from networks.aggregates.quotes import quote_rows
from networks.aggregates.shapes import cell_anchor
from networks.aggregates.shapes import city_pair
from networks.aggregates.shapes import code_groups
from networks.aggregates.shapes import comembership_graph
from networks.aggregates.shapes import engagement_series
from networks.aggregates.shapes import graph_matches
from networks.aggregates.shapes import logic_weights
from networks.aggregates.shapes import matrix_contrasts
from networks.aggregates.shapes import matrix_grid
from networks.aggregates.shapes import member_places
from networks.aggregates.shapes import member_places_from_rows
from networks.aggregates.shapes import network_offer_and_use
from networks.aggregates.shapes import offer_and_use
from networks.aggregates.shapes import offer_evidence
from networks.aggregates.shapes import participants_by_subnetwork
from networks.aggregates.shapes import portfolio_flat_rows
from networks.aggregates.shapes import portfolio_grid

__all__ = [
    "MATRIX_COLUMNS",
    "agreement_counts",
    "agreement_display",
    "agreement_flat_rows",
    "cell_anchor",
    "city_pair",
    "code_groups",
    "city_portfolio",
    "code_columns",
    "coding_row",
    "coding_rows",
    "comembership_graph",
    "comparison_matrix",
    "comparison_matrix_from_rows",
    "leading_within",
    "engagement_series",
    "evidence_line",
    "evidence_rows",
    "facet_counts",
    "graph_matches",
    "logic_weights",
    "matrix_contrasts",
    "matrix_flat_rows",
    "matrix_grid",
    "member_places",
    "member_places_from_rows",
    "network_offer_and_use",
    "offer_and_use",
    "offer_evidence",
    "participants_by_subnetwork",
    "portfolio_flat_rows",
    "portfolio_grid",
    "quote_rows",
    "summarise_cell",
    "summarise_rows",
]
