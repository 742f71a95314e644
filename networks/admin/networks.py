"""The admin of networks, their sub-networks, memberships, participations, engagement
observations, sources and themes."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html
from import_export.formats.base_formats import XLSX
from simple_history.admin import SimpleHistoryAdmin

from cities.models import City
from citynet.admin import URL_FIELDS
from citynet.admin import CitynetImportExportMixin
from networks.admin.forms import SPELL_FIELDS
from networks.admin.forms import MembershipInlineFormSet
from networks.admin.forms import VersionCheckedAdmin
from networks.dates import format_partial_date
from networks.importing.decisions import decide_view
from networks.importing.files import MemberListCSV
from networks.importing.forms import MembershipConfirmImportForm
from networks.importing.forms import MembershipImportForm
from networks.importing.forms import confirm_initial
from networks.importing.forms import resource_kwargs
from networks.importing.resources import MembershipResource
from networks.importing.resources import NetworkResource
from networks.models import EngagementObservation
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork
from networks.models import Theme

# The spells a network's page lists; all of them are one link away, in the membership list
# filtered to the network (NetworkAdmin.all_memberships). Eurocities' 226 made a page 25,000 px tall.
MEMBERSHIPS_SHOWN = 20


class FirstSpellsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_first_spells"):
            self._first_spells = super().get_queryset()[:MEMBERSHIPS_SHOWN]
        return self._first_spells


class NetworkMembershipInline(admin.TabularInline):
    """A network's first MEMBERSHIPS_SHOWN spells by member name, read-only: a network may have
    thousands, and an editable row costs two queries for its autocomplete widgets. Each row
    links to its spell's page; new spells are added in NetworkMembershipAddInline below."""

    model = Membership
    formset = FirstSpellsFormSet
    verbose_name_plural = (
        f"memberships: the first {MEMBERSHIPS_SHOWN} by member name (all of them: the link under "
        "“Members” above; edit a spell on its own page)"
    )
    fields = ["city", "type", "period", "application_round", "took_effect", "source"]
    readonly_fields = fields
    ordering = ["city__name", "joined"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("city", "network", "source")


class NetworkMembershipAddInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    verbose_name_plural = "add membership spells"
    fields = ["city", *SPELL_FIELDS]
    autocomplete_fields = ["city", "source"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class SubNetworkInlineFormSet(BaseInlineFormSet):
    """Rejects a parent from another network.

    SubNetwork.clean() checks this, but on a new network's page the rows have no
    network yet, so clean() lets any parent through.
    """

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not form.is_valid() or not form.cleaned_data or self._should_delete_form(form):
                continue
            parent = form.cleaned_data.get("parent")
            if parent is not None and parent.network_id != self.instance.pk:
                form.add_error("parent", "The parent must belong to the same network.")


class SubNetworkInline(admin.TabularInline):
    model = SubNetwork
    formset = SubNetworkInlineFormSet
    fk_name = "network"
    fields = ["name", "slug", "kind", "parent", "permanent", "source"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "source"]
    ordering = ["kind", "name"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network", "parent__network", "source")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "year", "part_of", "interview_number", "organisation"]
    list_filter = ["kind", "year"]
    list_select_related = ["part_of"]
    search_fields = ["label", "citation", "organisation", "informant_role"]
    ordering = ["kind", "interview_number", "label"]
    autocomplete_fields = ["part_of"]
    formfield_overrides = URL_FIELDS
    fieldsets = [
        (None, {"fields": ["kind", "label", "citation", ("url", "year")]}),
        ("Interview", {"fields": ["part_of", "interview_number", ("organisation", "informant_role")]}),
    ]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]


@admin.register(Network)
class NetworkAdmin(CitynetImportExportMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "acronym",
        "scope",
        "region",
        "focus",
        "headquarters",
        "founded",
        "ended",
        "member_count",
    ]
    list_filter = ["scope", "focus", "themes", "politically_led"]
    list_select_related = ["headquarters"]
    search_fields = ["name", "acronym", "region", "funder"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["headquarters", "regional_offices", "member_count_source"]
    filter_horizontal = ["themes"]
    formfield_overrides = URL_FIELDS
    inlines = [SubNetworkInline, NetworkMembershipAddInline, NetworkMembershipInline]

    def get_inline_instances(self, request, obj=None):
        # A new network has no members to list yet.
        inlines = super().get_inline_instances(request, obj)
        return [inline for inline in inlines if obj is not None or not isinstance(inline, NetworkMembershipInline)]

    resource_classes = [NetworkResource]
    fieldsets = [
        (None, {"fields": [("name", "acronym"), "slug", "website", "description"]}),
        ("Kind", {"fields": [("scope", "region"), "focus", "themes", "politically_led"]}),
        ("History", {"fields": [("founded", "ended"), "successor"]}),
        (
            "Organisation",
            {"fields": ["headquarters", "regional_offices", "funder", "governance", "membership_criteria"]},
        ),
        (
            "Reported size",
            {
                "fields": [
                    ("reported_member_count", "reported_member_count_as_of"),
                    "reported_member_count_note",
                    "member_count_source",
                ]
            },
        ),
        ("Members", {"fields": ["all_memberships"]}),
    ]
    readonly_fields = ["all_memberships"]

    @admin.display(description="membership spells")
    def all_memberships(self, network: Network) -> str:
        if network.pk is None:
            return "None yet: add spells below."
        url = reverse("admin:networks_membership_changelist") + f"?network__id__exact={network.pk}"
        return format_html(
            '<a href="{}">All membership spells of {} ({} member places), to filter, sort and edit</a>'
            " (the first {} are listed below)",
            url,
            network,
            network.n_members,
            MEMBERSHIPS_SHOWN,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).with_member_count()

    @admin.display(description="members", ordering="n_members")
    def member_count(self, network: Network) -> int:
        return network.n_members


@admin.register(Membership)
class MembershipAdmin(VersionCheckedAdmin, CitynetImportExportMixin, SimpleHistoryAdmin):
    list_display = [
        "city",
        "network",
        "type",
        "period",
        "application_round",
        "took_effect",
        "source",
    ]
    list_filter = [
        "network",
        "type",
        "application_round",
        "took_effect",
        ("left", admin.EmptyFieldListFilter),
        "city__country",
        "city__kind",
    ]
    list_select_related = ["city", "network", "source"]
    search_fields = ["city__name", "network__name", "network__acronym", "note"]
    ordering = ["network__name", "city__name", "joined"]
    autocomplete_fields = ["city", "network", "source"]
    readonly_fields = ["created_at", "updated_at"]
    resource_classes = [MembershipResource]
    # A file of many networks comes with its label mapping (networks.importing.labels).
    import_form_class = MembershipImportForm
    confirm_form_class = MembershipConfirmImportForm
    import_adds_to = [City, Source]
    # Member lists in any common encoding; doubtful places decided on the preview.
    formats = [MemberListCSV, XLSX]
    import_template_name = "admin/import_export/membership_import.html"
    fieldsets = [
        (None, {"fields": ["city", "network", "type", "took_effect"]}),
        (
            "Period",
            {
                "fields": [
                    ("joined", "joined_precision"),
                    ("left", "left_precision"),
                    "application_round",
                    "listed_on",
                ]
            },
        ),
        ("Source", {"fields": ["source", "note"]}),
        ("Record", {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
    ]

    @admin.display(description="period", ordering="joined")
    def period(self, membership: Membership) -> str:
        return membership.period

    def get_import_form_initial(self, request):
        return {"network": request.GET.get("network")}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update(confirm_initial(import_form))
        return initial

    def get_urls(self):
        decide = path(
            "import/decide/",
            self.admin_site.admin_view(lambda request: decide_view(self, request)),
            name="networks_membership_import_decide",
        )
        return [decide, *super().get_urls()]

    def get_import_resource_kwargs(self, request, **kwargs):
        # A label mapping may name networks Citynet lacks: only who may add networks adds them.
        may_add_networks = request.user.has_perm("networks.add_network")
        form_data = getattr(kwargs.get("form"), "cleaned_data", {})
        return {**resource_kwargs(form_data), "may_add_networks": may_add_networks}


@admin.register(SubNetwork)
class SubNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "kind", "parent", "permanent", "source"]
    list_filter = ["network", "kind", "permanent"]
    list_select_related = ["network", "parent__network", "source"]
    search_fields = ["name", "slug", "network__name", "network__acronym"]
    ordering = ["network__name", "kind", "name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["network", "parent", "source"]
    fieldsets = [
        (None, {"fields": ["network", "parent", ("name", "slug"), ("kind", "permanent"), "description"]}),
        ("Source", {"fields": ["source"]}),
    ]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = [
        "city",
        "network",
        "subnetwork_name",
        "unit",
        "unit_kind",
        "involvement",
        "period",
        "source",
    ]
    list_filter = ["network", "unit_kind", "involvement", "city__country"]
    list_select_related = ["city", "network", "subnetwork", "source"]
    search_fields = ["city__name", "unit", "network__name", "network__acronym", "subnetwork__name", "note"]
    ordering = ["city__name", "network__name", "unit"]
    autocomplete_fields = ["city", "network", "subnetwork", "source"]
    fieldsets = [
        (None, {"fields": ["city", "network", "subnetwork"]}),
        ("Unit", {"fields": ["unit", ("unit_kind", "involvement")]}),
        ("Period", {"fields": [("since", "since_precision"), ("until", "until_precision")]}),
        ("Source", {"fields": [("source", "locator"), "note"]}),
    ]

    @admin.display(description="sub-network", ordering="subnetwork__name")
    def subnetwork_name(self, participation: Participation) -> str:
        return participation.subnetwork.name if participation.subnetwork_id else ""

    @admin.display(description="period", ordering="since")
    def period(self, participation: Participation) -> str:
        since = format_partial_date(participation.since, participation.since_precision)
        until = format_partial_date(participation.until, participation.until_precision)
        return f"{since or '?'}–{until}" if since or until else ""


@admin.register(EngagementObservation)
class EngagementObservationAdmin(admin.ModelAdmin):
    list_display = ["city", "network", "observed", "level", "is_peak", "source"]
    list_filter = ["network", "level", "is_peak", "approximate", "city__country"]
    list_select_related = ["city", "network", "source"]
    search_fields = ["city__name", "network__name", "network__acronym", "note"]
    ordering = ["city__name", "network__name", "observed_on"]
    autocomplete_fields = ["city", "network", "source"]
    fieldsets = [
        (None, {"fields": ["city", "network"]}),
        (
            "Observation",
            {"fields": [("observed_on", "observed_precision", "approximate"), ("level", "is_peak"), "note"]},
        ),
        ("Source", {"fields": [("source", "locator")]}),
    ]

    @admin.display(description="observed", ordering="observed_on")
    def observed(self, observation: EngagementObservation) -> str:
        return observation.observed_display
