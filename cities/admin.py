from django.contrib import admin
from django.db.models import Count

from cities.models import City
from networks.admin import MembershipInlineFormSet
from networks.models import Membership


class CityMembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    fields = [
        "network",
        "type",
        "joined",
        "joined_precision",
        "left",
        "left_precision",
        "application_round",
        "took_effect",
        "source",
    ]
    autocomplete_fields = ["network", "source"]
    ordering = ["network__name", "joined"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("city", "network", "source")


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
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
    fieldsets = [
        (None, {"fields": [("name", "slug"), ("country", "kind")]}),
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

    @admin.display(description="country name")
    def country_name(self, city: City) -> str:
        return city.country_name

    @admin.display(description="coordinates", boolean=True)
    def has_coordinates(self, city: City) -> bool:
        return city.has_coordinates

    @admin.display(description="memberships", ordering="n_memberships")
    def membership_count(self, city: City) -> int:
        return city.n_memberships
