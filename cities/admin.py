"""Admin for cities, with import and export and a GeoNames lookup on the city form.

The lookup searches the places `manage.py load_geonames` put in GeoNamesPlace (an
indexed table, not a scan of GeoNames per keystroke), with the admin's own select2
autocomplete. On save, a picked place fills whatever is still empty of the name,
country, coordinates, population and GeoNames fields. (The site's Content Security
Policy allows no inline script, so nothing fills in before the save.) A place not in
GeoNames is typed in by hand.

Duplicates: "Likely duplicates" lists the groups `cities.duplicates` finds, each pair with
a merge link; the action "Merge selected places…" (two places) leads to the same page.
It shows which place stays (the editor may swap), what moves and what the merged place
fills in, or the conflicts that refuse the merge; confirming runs `networks.places_merge`.
Merging needs the change and delete permissions on places.
"""

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.widgets import AutocompleteMixin
from django.contrib.admin.widgets import get_select2_language
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from cities.duplicates import likely_duplicates
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
from networks.places_merge import MergePlan
from networks.places_merge import MergeRefused
from networks.places_merge import merge_places
from networks.places_merge import merge_plan

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
    readonly_fields = ["created_at", "updated_at", "merged_places"]
    inlines = [CityMembershipInline]
    actions = ["merge_selected"]
    import_export_change_list_template = "admin/cities/city/change_list.html"
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
        ("Merged places", {"fields": ["merged_places"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_memberships=Count("memberships"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:-1]  # nothing is merged into a new place

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("geonames/", view(self.geonames_view), name="cities_city_geonames"),
            path("duplicates/", view(self.duplicates_view), name="cities_city_duplicates"),
            path("merge/", view(self.merge_view), name="cities_city_merge"),
            *super().get_urls(),
        ]

    def has_merge_permission(self, request) -> bool:
        return self.has_change_permission(request) and self.has_delete_permission(request)

    @admin.action(description="Merge selected places…", permissions=["merge"])
    def merge_selected(self, request, queryset):
        places = sorted(queryset[:3], key=lambda place: (-place.n_memberships, place.pk))
        if len(places) != 2:
            self.message_user(request, "Select exactly two places to merge.", messages.WARNING)
            return None
        return HttpResponseRedirect(merge_url(keep=places[0], merge=places[1]))

    def duplicates_view(self, request):
        """Groups of likely duplicates, each pair with a link to merge it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        groups = likely_duplicates(self.get_queryset(request).order_by("pk"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Likely duplicate places",
            "groups": [duplicate_row(group) for group in groups],
            "can_merge": self.has_merge_permission(request),
        }
        return TemplateResponse(request, "admin/cities/city/duplicates.html", context)

    def merge_view(self, request):
        """GET: what merging `merge` into `keep` would do; POST: merge (or list the conflicts)."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        survivor = get_object_or_404(City, pk=data.get("keep") or 0)
        merged = get_object_or_404(City, pk=data.get("merge") or 0)
        if survivor.pk == merged.pk:
            self.message_user(request, "A place cannot be merged into itself.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:cities_city_changelist"))
        if request.method == "POST":
            try:
                plan = merge_places(merged=merged, survivor=survivor, user=request.user)
            except MergeRefused as refusal:
                plan = refusal.plan
            else:
                self.message_user(request, merged_message(plan), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:cities_city_change", args=[survivor.pk]))
        else:
            plan = merge_plan(merged=merged, survivor=survivor)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Merge {merged} into {survivor}",
            "plan": plan,
            "places": place_rows(plan),
            "conflicts": [conflict_row(self.admin_site, conflict) for conflict in plan.conflicts],
            "swap_url": merge_url(keep=merged, merge=survivor),
        }
        return TemplateResponse(request, "admin/cities/city/merge.html", context)

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

    @admin.display(description="places merged into this one")
    def merged_places(self, city: City) -> str:
        """Each merged place with its old address (which now leads here), when and what moved."""
        merged = city.merged_places.order_by("merged_at") if city.pk else []
        lines = [
            f"{row.old_name} ({row.old_country}), id {row.old_id}, /{row.old_slug}/: merged "
            f"{row.merged_at:%Y-%m-%d}{' by ' + row.merged_by if row.merged_by else ''}; moved {row.moved}"
            for row in merged
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "None"

    @admin.display(description="country name")
    def country_name(self, city: City) -> str:
        return city.country_name

    @admin.display(description="coordinates", boolean=True)
    def has_coordinates(self, city: City) -> bool:
        return city.has_coordinates

    @admin.display(description="memberships", ordering="n_memberships")
    def membership_count(self, city: City) -> int:
        return city.n_memberships


def merge_url(*, keep: City, merge: City) -> str:
    return f"{reverse('admin:cities_city_merge')}?keep={keep.pk}&merge={merge.pk}"


def duplicate_row(group) -> dict:
    """A group as the duplicates page shows it: places with their links, pairs to merge
    (the place with more memberships kept)."""
    places = [
        {
            "place": place,
            "url": reverse("admin:cities_city_change", args=[place.pk]),
            "memberships": place.n_memberships,
        }
        for place in group.places
    ]
    merges = []
    for first, other in group.pairs:
        keep, merge = (other, first) if other.n_memberships > first.n_memberships else (first, other)
        merges.append({"keep": keep, "merge": merge, "url": merge_url(keep=keep, merge=merge)})
    return {"reason": group.reason, "key": group.key, "places": places, "merges": merges}


MERGE_PAGE_FIELDS = [
    "name",
    "slug",
    "country",
    "kind",
    "latitude",
    "longitude",
    "population",
    "geonames_id",
    "wikidata_id",
]


def place_rows(plan: MergePlan) -> list[dict]:
    """Field by field: the merged place's value, and the surviving place's after the merge
    (`filled`: taken from the merged place, the survivor having none)."""

    def shown(place: City, name: str):
        return place.get_kind_display() if name == "kind" else getattr(place, name)

    return [
        {
            "label": City._meta.get_field(name).verbose_name,
            "merged": shown(plan.merged, name),
            "kept": plan.filled.get(name, shown(plan.survivor, name)),
            "filled": name in plan.filled,
        }
        for name in MERGE_PAGE_FIELDS
    ]


def conflict_row(site: admin.AdminSite, conflict) -> dict:
    """A conflict with the admin addresses of its two rows (where the admin has the model)."""

    def link(row) -> str | None:
        if not site.is_registered(type(row)):
            return None
        return reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])

    return {
        "kind": conflict.kind,
        "reason": conflict.reason,
        "merged": conflict.merged,
        "merged_url": link(conflict.merged),
        "kept": conflict.kept,
        "kept_url": link(conflict.kept),
    }


def merged_message(plan: MergePlan) -> str:
    filled = f" It filled in: {', '.join(plan.filled)}." if plan.filled else ""
    return (
        f"Merged {plan.merged} into {plan.survivor}: moved {plan.summary}.{filled} "
        f"The address /{plan.merged.slug}/ now leads to this place."
    )
