"""Networks imported and exported in the admin (CSV or Excel)."""

from import_export.fields import Field

from cities.models import City
from cities.resources import CityIndex
from cities.resources import city_reference
from citynet.importing import CitynetResource
from citynet.importing import ParsedRow
from citynet.importing import RowReader
from networks.importing.resources.common import LIST_SEPARATOR
from networks.importing.resources.common import SourceIndex
from networks.models import Network
from networks.models import Theme

# --- networks -------------------------------------------------------------------------


class NetworkResource(CitynetResource):
    """Networks, one a row, found by slug. Cities are named 'Name (CC)' or by GeoNames
    id; themes by slug or name; several in one cell are separated by ';'."""

    slug = Field(column_name="slug")
    name = Field(column_name="name")
    acronym = Field(column_name="acronym")
    scope = Field(column_name="scope")
    region = Field(column_name="region")
    focus = Field(column_name="focus")
    themes = Field(column_name="themes")
    description = Field(column_name="description")
    website = Field(column_name="website")
    founded = Field(column_name="founded")
    ended = Field(column_name="ended")
    successor = Field(column_name="successor")
    headquarters = Field(column_name="headquarters")
    regional_offices = Field(column_name="regional_offices")
    funder = Field(column_name="funder")
    politically_led = Field(column_name="politically_led")
    governance = Field(column_name="governance")
    membership_criteria = Field(column_name="membership_criteria")
    reported_member_count = Field(column_name="reported_member_count")
    reported_member_count_note = Field(column_name="reported_member_count_note")
    reported_member_count_as_of = Field(column_name="reported_member_count_as_of")
    member_count_source = Field(column_name="member_count_source")

    required_columns = frozenset({"slug"})
    error_columns = {
        "networks_network_ended_after_founded": "ended",
        "networks_network_scope_valid": "scope",
        "networks_network_focus_valid": "focus",
        "networks_network_member_count_dated": "reported_member_count_as_of",
    }
    TEXT_COLUMNS = [
        "name",
        "acronym",
        "region",
        "description",
        "website",
        "successor",
        "funder",
        "governance",
        "membership_criteria",
        "reported_member_count_note",
    ]

    class Meta(CitynetResource.Meta):
        model = Network
        name = "Networks (one row a network)"
        fields = (
            "slug",
            "name",
            "acronym",
            "scope",
            "region",
            "focus",
            "themes",
            "description",
            "website",
            "founded",
            "ended",
            "successor",
            "headquarters",
            "regional_offices",
            "funder",
            "politically_led",
            "governance",
            "membership_criteria",
            "reported_member_count",
            "reported_member_count_note",
            "reported_member_count_as_of",
            "member_count_source",
        )
        import_order = export_order = fields

    def prepare(self, dataset, **kwargs) -> None:
        self.networks = {
            network.slug: network for network in Network.objects.prefetch_related("themes", "regional_offices")
        }
        self.cities = CityIndex(whole=False)
        self.sources = SourceIndex()
        self.themes = {}
        for theme in Theme.objects.all():
            self.themes[theme.slug] = self.themes[theme.name.casefold()] = theme

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        slug = reader.text("slug")
        if not slug:
            reader.problem("slug", "every network needs its slug")
        values = {column: reader.text(column) for column in self.TEXT_COLUMNS if reader.has(column)}
        for column, choices in (("scope", Network.Scope), ("focus", Network.Focus)):
            if reader.has(column):
                values[column] = reader.choice(column, choices)
        for column in ("founded", "ended", "reported_member_count"):
            if reader.has(column):
                values[column] = reader.integer(column)
        if reader.has("politically_led"):
            values["politically_led"] = reader.boolean("politically_led")
        if reader.has("reported_member_count_as_of"):
            values["reported_member_count_as_of"] = reader.date("reported_member_count_as_of")
        if reader.has("headquarters"):
            values["headquarters"] = self.read_city(reader, "headquarters", reader.text("headquarters"))
        if reader.has("regional_offices"):
            names = [part for part in reader.text("regional_offices").split(LIST_SEPARATOR) if part.strip()]
            values["regional_offices"] = {self.read_city(reader, "regional_offices", name) for name in names} - {None}
        if reader.has("themes"):
            values["themes"] = set()
            for part in filter(None, (part.strip() for part in reader.text("themes").split(LIST_SEPARATOR))):
                theme = self.themes.get(part) or self.themes.get(part.casefold())
                if theme is None:
                    reader.problem("themes", f"no theme '{part}' (add it under Themes first)")
                values["themes"].add(theme)
        if reader.has("member_count_source") and reader.text("member_count_source"):
            values["member_count_source"] = self.sources.find(reader.text("member_count_source"))
            if values["member_count_source"] is None:
                reader.problem("member_count_source", "no source with this citation (add it under Sources first)")
        elif reader.has("member_count_source"):
            values["member_count_source"] = None
        return ParsedRow(number=number, key=("network", slug), values={"slug": slug, **values})

    def read_city(self, reader: RowReader, column: str, text: str) -> City | None:
        if not text.strip():
            return None
        try:
            city = self.cities.find_reference(text)
        except ValueError as error:
            reader.problem(column, str(error))
            return None
        if city is None:
            reader.problem(column, f"no place '{text.strip()}' (import or add it under Cities first)")
        return city

    def describe(self, parsed: ParsedRow) -> str:
        return f"network '{parsed.values['slug']}' twice"

    duplicate_column = "slug"

    def find_instance(self, parsed: ParsedRow) -> tuple[Network, bool]:
        network = self.networks.get(parsed.values["slug"])
        return (network, False) if network is not None else (Network(), True)

    def apply(self, instance: Network, parsed: ParsedRow) -> None:
        for name, value in parsed.values.items():
            if name in ("themes", "regional_offices"):
                setattr(instance, f"imported_{name}", value)
            else:
                setattr(instance, name, value)

    def state(self, network: Network) -> tuple:
        related = []
        for name in ("themes", "regional_offices"):
            chosen = getattr(network, f"imported_{name}", None)
            if chosen is None:
                chosen = set(getattr(network, name).all()) if network.pk else set()
            related.append(frozenset(item.pk for item in chosen))
        return super().state(network) + tuple(related)

    def after_save(self, instance: Network, parsed: ParsedRow) -> None:
        for name in ("themes", "regional_offices"):
            chosen = getattr(instance, f"imported_{name}", None)
            if chosen is not None:
                getattr(instance, name).set(chosen)
        self.networks[instance.slug] = instance

    def cells(self, network: Network) -> dict:
        themes = getattr(network, "imported_themes", None)
        offices = getattr(network, "imported_regional_offices", None)
        if network.pk:
            themes = network.themes.all() if themes is None else themes
            offices = network.regional_offices.all() if offices is None else offices
        return {
            **{column: getattr(network, column) for column in self.TEXT_COLUMNS},
            "slug": network.slug,
            "scope": network.scope,
            "focus": network.focus,
            "themes": f"{LIST_SEPARATOR} ".join(sorted(theme.slug for theme in themes or [])),
            "founded": network.founded or "",
            "ended": network.ended or "",
            "headquarters": city_reference(network.headquarters),
            "regional_offices": f"{LIST_SEPARATOR} ".join(sorted(city_reference(city) for city in offices or [])),
            "politically_led": "" if network.politically_led is None else str(network.politically_led).lower(),
            "reported_member_count": "" if network.reported_member_count is None else network.reported_member_count,
            "reported_member_count_as_of": (
                network.reported_member_count_as_of.isoformat() if network.reported_member_count_as_of else ""
            ),
            "member_count_source": network.member_count_source.citation if network.member_count_source else "",
        }

    def iter_queryset(self, queryset):
        return super().iter_queryset(
            queryset.select_related("headquarters", "member_count_source").prefetch_related(
                "themes", "regional_offices"
            )
        )
