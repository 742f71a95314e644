"""Admin for cities, with import and export and a GeoNames lookup on the city form.

The lookup searches the places `manage.py load_geonames` put in GeoNamesPlace (an
indexed table, not a scan of GeoNames per keystroke), with the admin's own select2
autocomplete. On save, a picked place fills whatever is still empty of the name,
country, coordinates, population and GeoNames fields. (The site's Content Security
Policy allows no inline script, so nothing fills in before the save.) A place not in
GeoNames is typed in by hand.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin
from django.contrib.admin.widgets import get_select2_language
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import JsonResponse
from django.urls import path
from django.urls import reverse
from django.utils.text import slugify

from cities.models import PLACE_DATA_FIELDS
from cities.models import City
from cities.models import GeoNamesPlace
from cities.models import fold_name
from cities.resources import GEONAMES_POPULATION_SOURCE
from cities.resources import CityResource
from citynet.admin import CitynetImportExportMixin
from networks.admin.forms import OPENED_VERSION
from networks.admin.forms import SPELL_FIELDS
from networks.admin.forms import MembershipInlineForm
from networks.admin.forms import MembershipInlineFormSet
from networks.admin.forms import RetryOnEditConflict
from networks.models import Membership

# Suggestions the lookup offers for what has been typed, most populous first.
GEONAMES_SUGGESTIONS = 20


class GeoNamesPlaceSelect(AutocompleteMixin, forms.Select):
    """The admin's select2 autocomplete, fed by CityAdmin.geonames_view rather than
    by a foreign key (a city does not point to a GeoNamesPlace)."""

    def __init__(self, attrs=None):
        forms.Select.__init__(self, attrs)
        self.db = None
        self.i18n_name = get_select2_language()

    @property
    def media(self):
        return super().media + forms.Media(js=["js/geonames_lookup.js"])

    def get_url(self) -> str:
        return reverse("admin:cities_city_geonames")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = forms.Select.build_attrs(self, base_attrs, extra_attrs=extra_attrs)
        attrs.update(
            {
                "class": "admin-autocomplete",
                "data-ajax--cache": "true",
                "data-ajax--delay": 250,
                "data-ajax--type": "GET",
                "data-ajax--url": self.get_url(),
                "data-theme": "admin-autocomplete",
                "data-allow-clear": "true",
                "data-minimum-input-length": 2,
                "data-placeholder": "Type a place name",
                "lang": self.i18n_name,
                "style": "width: 32em",
            }
        )
        return attrs

    def optgroups(self, name, value, attrs=None):
        """Only the chosen place is an option: the others come from the lookup."""
        options = [self.create_option(name, "", "", False, 0)]
        chosen = [item for item in value if item]
        for place in GeoNamesPlace.objects.filter(pk__in=chosen):
            options.append(self.create_option(name, place.pk, place.label, True, len(options)))
        return [(None, options, 0)]


class CityAdminForm(forms.ModelForm):
    geonames_place = forms.ModelChoiceField(
        queryset=GeoNamesPlace.objects.all(),
        required=False,
        label="Find in GeoNames",
        widget=GeoNamesPlaceSelect(),
        help_text=(
            "Type a name, pick the place and save: its name, country, coordinates, population and "
            "GeoNames id fill the fields below that are empty."
        ),
    )

    class Meta:
        model = City
        fields = [
            "name",
            "slug",
            "country",
            "kind",
            *PLACE_DATA_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A picked place may supply these; clean() requires them once it has had its say.
        for name in ("name", "slug", "country"):
            self.fields[name].required = False
        if not GeoNamesPlace.objects.exists():
            self.fields[
                "geonames_place"
            ].help_text = "No GeoNames places are loaded (manage.py load_geonames): type the place in by hand."

    def clean(self):
        cleaned = super().clean()
        place = cleaned.get("geonames_place")
        if place is not None:
            self.fill_from(place, cleaned)
        for name in ("name", "country"):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, "This field is required.")
        if not cleaned.get("slug") and cleaned.get("name") and cleaned.get("country"):
            cleaned["slug"] = slugify(f"{cleaned['name']}-{cleaned['country']}")
        return cleaned

    @staticmethod
    def fill_from(place: GeoNamesPlace, cleaned: dict) -> None:
        """Fill what is still empty; what the admin typed stays."""
        values = {
            "name": place.name,
            "country": place.country,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "geonames_id": place.geonameid,
            "geonames_name": place.name,
        }
        if place.population:
            values.update(population=place.population, population_source=GEONAMES_POPULATION_SOURCE)
        if cleaned.get("latitude") is not None or cleaned.get("longitude") is not None:
            # A point comes whole from one record, never half from each.
            del values["latitude"], values["longitude"]
        for name, value in values.items():
            if cleaned.get(name) in (None, ""):
                cleaned[name] = value


class CityMembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    formset = MembershipInlineFormSet
    fields = ["network", *SPELL_FIELDS, OPENED_VERSION]
    autocomplete_fields = ["network", "source"]
    ordering = ["network__name", "joined"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("city", "network", "source")


@admin.register(City)
class CityAdmin(RetryOnEditConflict, CitynetImportExportMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "country",
        "country_name",
        "kind",
        "population",
        "has_coordinates",
        "geonames_id",
        "membership_count",
    ]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug", "geonames_name", "=country", "=wikidata_id"]
    ordering = ["name", "country"]
    prepopulated_fields = {"slug": ["name", "country"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CityMembershipInline]
    form = CityAdminForm
    resource_classes = [CityResource]
    fieldsets = [
        (None, {"fields": ["geonames_place", ("name", "slug"), ("country", "kind")]}),
        ("Location", {"fields": [("latitude", "longitude"), "coordinates_note"]}),
        ("Population", {"fields": [("population", "population_source")]}),
        (
            "Identifiers",
            {"fields": [("geonames_id", "geonames_name"), "geonames_note", "wikidata_id"]},
        ),
        ("Record", {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_memberships=Count("memberships"))

    def get_urls(self):
        lookup = path("geonames/", self.admin_site.admin_view(self.geonames_view), name="cities_city_geonames")
        return [lookup, *super().get_urls()]

    def geonames_view(self, request):
        """GeoNames places matching `term`, in the shape select2 reads, with the values to fill in."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        term = request.GET.get("term", "")
        places = GeoNamesPlace.objects.matching(term)[:GEONAMES_SUGGESTIONS] if len(fold_name(term)) >= 2 else []
        results = [
            {
                "id": place.geonameid,
                "text": place.label,
                "name": place.name,
                "country": place.country,
                "latitude": place.latitude,
                "longitude": place.longitude,
                "population": place.population or None,
                "population_source": GEONAMES_POPULATION_SOURCE if place.population else "",
                "geonames_id": place.geonameid,
                "geonames_name": place.name,
            }
            for place in places
        ]
        return JsonResponse({"results": results, "pagination": {"more": False}})

    @admin.display(description="country name")
    def country_name(self, city: City) -> str:
        return city.country_name

    @admin.display(description="coordinates", boolean=True)
    def has_coordinates(self, city: City) -> bool:
        return city.has_coordinates

    @admin.display(description="memberships", ordering="n_memberships")
    def membership_count(self, city: City) -> int:
        return city.n_memberships
