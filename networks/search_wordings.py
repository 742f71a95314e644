"""The field's own wordings for what the site names otherwise, which site search
(`networks.search`) reads as names: the codebook's codes as the literature and the interviews
word them, and networks by the names and acronyms people use. Plain data, to extend as the
study and its field do."""

# How the field says what the codebook names (STUDY.md, Figures 1 and 2): code -> wordings,
# compared with the query's words in plain form (lower case, no accents or punctuation).
CODE_WORDINGS = {
    "representation": (
        *("lobbying", "lobby", "lobbyism", "advocacy", "advocating", "interest representation", "agenda setting"),
        *("agenda", "speaking for cities", "voice", "influence"),
    ),
    "policy": (
        *("policy formulation", "goal formulation", "goal setting", "common goals", "standards", "targets"),
        *("co2 targets", "admission criteria", "policy initiatives", "resilience strategy"),
    ),
    "capacity": (
        *("capacity building", "capacity development", "training", "consultancy", "technical assistance"),
        *("management tools", "funding", "partner platform", "access to partners"),
    ),
    "knowledge": (
        *("knowledge exchange", "knowledge transfer", "learning", "peer learning", "city to city learning"),
        *("exchange of experience", "experience exchange", "best practice", "best practices", "information sharing"),
    ),
    "promotion": (
        *("city branding", "branding", "visibility", "showcasing", "showcase", "profile", "city marketing"),
        *("marketing", "export promotion", "attracting talent"),
    ),
    "consequences": ("logic of consequences", "strategic rationalism", "rational choice", "instrumental", "strategic"),
    "appropriateness": (
        *("logic of appropriateness", "norm and legitimacy seeking", "norm adaptation", "norms", "norm"),
        *("legitimacy", "legitimation", "prestige", "recognition", "belonging"),
    ),
}
# Networks by the names the field calls them: wording -> what their stored name contains.
NETWORK_WORDINGS = {
    "c40": "C40",
    "c40 cities": "C40",
    "climate leadership group": "C40",
    "100rc": "100 Resilient Cities",
    "100 rc": "100 Resilient Cities",
    "rockefeller": "100 Resilient Cities",
    "gcom": "Global Covenant of Mayors",
    "covenant of mayors": "Covenant of Mayors",
    "iclei": "ICLEI",
    "local governments for sustainability": "ICLEI",
    "uclg": "United Cities and Local Governments",
    "under2": "Under2",
    "under 2 coalition": "Under2",
    "euro cities": "Eurocities",
}
