import unicodedata

from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from cities.countries import country_name
from citynet.constraints import one_of
from citynet.links import slug_url

iso_country = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter ISO 3166-1 code, e.g. NO.")


class CityQuerySet(models.QuerySet):
    def in_country(self, country: str) -> "CityQuerySet":
        return self.filter(country=country.upper())

    def matching(self, query: str) -> "CityQuerySet":
        """Places whose name contains `query`."""
        return self.filter(name__icontains=query)


class CityKind(models.TextChoices):
    CITY = "city", "City"
    METROPOLITAN = "metropolitan", "Metropolitan or regional body"
    GROUPING = "grouping", "Grouping of cities"
    DISTRICT = "district", "District"


# What a place's record holds beyond its name, country and kind: where it is, how many live
# there, and the GeoNames and Wikidata records it matches; forms and the API show them in this order.
PLACE_DATA_FIELDS = [
    "latitude",
    "longitude",
    "coordinates_note",
    "population",
    "population_source",
    "geonames_id",
    "geonames_name",
    "geonames_note",
    "wikidata_id",
]


class City(models.Model):
    """Any member place of a city network: a city, but also a metropolitan or
    regional body, a grouping of cities, or a district of a city."""

    Kind = CityKind

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    country = models.CharField("country (ISO 3166-1 alpha-2)", max_length=2, validators=[iso_country], db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CITY)
    latitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    coordinates_note = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the point stands for when the member is not one city (e.g. the seat city).",
    )
    population = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Indicative only: see the population source."
    )
    population_source = models.CharField(max_length=200, blank=True)
    geonames_id = models.PositiveIntegerField(
        "GeoNames id",
        null=True,
        blank=True,
        db_index=True,
        help_text="The GeoNames record matched; for a body that is not one city, its seat city's.",
    )
    geonames_name = models.CharField("GeoNames name", max_length=200, blank=True)
    geonames_note = models.TextField(
        "GeoNames match note", blank=True, help_text="How the GeoNames record was matched."
    )
    wikidata_id = models.CharField(
        "Wikidata id",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*$", "A Wikidata id looks like Q1748.")],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "cities"
        constraints = [
            one_of("kind", CityKind, name="cities_city_kind_valid", message="Unknown kind of member place."),
            models.CheckConstraint(
                condition=Q(country__regex=r"^[A-Z][A-Z]$"),
                name="cities_city_country_iso2",
                violation_error_message="Country must be a two-letter ISO code in capitals.",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__isnull=False)
                    & Q(longitude__isnull=False)
                    & Q(latitude__gte=-90)
                    & Q(latitude__lte=90)
                    & Q(longitude__gte=-180)
                    & Q(longitude__lte=180)
                ),
                name="cities_city_coordinates_valid",
                violation_error_message="Give both latitude (-90..90) and longitude (-180..180), or neither.",
            ),
            # One record per GeoNames place for plain cities; bodies that are not one
            # city borrow their seat city's point and may share its id.
            models.UniqueConstraint(
                fields=["geonames_id"],
                condition=Q(kind="city") & Q(geonames_id__isnull=False),
                name="cities_city_one_city_per_geonames_place",
                violation_error_message="Another city already has this GeoNames id.",
            ),
            models.UniqueConstraint(
                fields=["name", "country", "kind"],
                name="cities_city_unique_name_country_kind",
                violation_error_message="A member place of this kind with this name already exists in this country.",
            ),
        ]
        indexes = [
            # city list and search by name
            models.Index(fields=["name"], name="cities_city_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def get_absolute_url(self) -> str:
        return slug_url("cities:city_detail", self.slug)

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


# Letters that Unicode does not decompose into a base letter and a mark.
UNFOLDED_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def fold_name(text: str) -> str:
    """A place name as a search key: lower case, accents and punctuation dropped,
    spaces collapsed ('København' -> 'kobenhavn', 'Saint-Étienne' -> 'saint etienne')."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(UNFOLDED_LETTERS))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join("".join(char if char.isalnum() else " " for char in text).split())


class GeoNamesPlaceQuerySet(models.QuerySet):
    def matching(self, text: str) -> "GeoNamesPlaceQuerySet":
        """Places with a name or alternate name starting with `text` (folded), most populous
        first ('Wien' finds Vienna). Reads the index on GeoNamesName.key, never the whole table."""
        key = fold_name(text)
        if not key:
            return self.none()
        # A range on the key uses its index on every database; startswith keeps it exact.
        upper = key[:-1] + chr(ord(key[-1]) + 1)
        names = GeoNamesName.objects.filter(key__gte=key, key__lt=upper, key__startswith=key)
        return self.filter(geonameid__in=names.values("place_id")).order_by("-population", "name")


class GeoNamesPlace(models.Model):
    """A populated place from GeoNames, loaded by `manage.py load_geonames` to fill in
    a new city. Not a member place itself: a City may copy one's values."""

    geonameid = models.PositiveIntegerField("GeoNames id", primary_key=True)
    name = models.CharField(max_length=200)
    ascii_name = models.CharField("ASCII name", max_length=200)
    country = models.CharField("country (ISO 3166-1 alpha-2)", max_length=2)
    admin1_code = models.CharField("first-level division code", max_length=20, blank=True)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    population = models.PositiveBigIntegerField(default=0)
    timezone = models.CharField(max_length=40, blank=True)

    objects = GeoNamesPlaceQuerySet.as_manager()

    class Meta:
        verbose_name = "GeoNames place"

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    @property
    def label(self) -> str:
        """What the admin's picker shows: 'Copenhagen, DK 17, population 1,153,615'."""
        region = f" {self.admin1_code}" if self.admin1_code else ""
        return f"{self.name}, {self.country}{region}, population {self.population:,} (GeoNames {self.geonameid})"


class GeoNamesName(models.Model):
    """One search key of a GeoNames place: its name, ASCII name or an alternate name, folded."""

    # The unique constraint's index starts with place, so the foreign key needs none of its own.
    place = models.ForeignKey(GeoNamesPlace, on_delete=models.CASCADE, related_name="names", db_index=False)
    key = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "key"], name="cities_geonamesname_one_key_per_place"),
        ]
        indexes = [
            # GeoNamesPlace.objects.matching(): a prefix range on the key
            models.Index(fields=["key"], name="cities_geonamesname_key_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class PlaceDecision(models.Model):
    """An editor's answer to a doubtful place in an import, remembered so that the next
    file naming the place the same way asks nothing: this name (folded), country and
    kind mean `city`, or, when `city` is empty, a place of its own."""

    key = models.CharField("folded name", max_length=200)
    country = models.CharField("country (ISO 3166-1 alpha-2)", max_length=2)
    kind = models.CharField(max_length=20, blank=True, help_text="The kind the file gave; empty when it gave none.")
    city = models.ForeignKey(
        City,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="place_decisions",
        help_text="Empty: the name is a place of its own, not any place Citynet held.",
    )
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "country", "kind"],
                name="cities_placedecision_one_per_name",
                violation_error_message="This name already has a decision in this country.",
            ),
        ]

    def __str__(self) -> str:
        target = self.city if self.city_id else "a new place"
        return f"{self.key} ({self.country}) -> {target}"


class PlaceRedirectQuerySet(models.QuerySet):
    def target(self, slug: str) -> City | None:
        """The place a merged place's slug now leads to; None when no place was merged under
        that slug, or when a place holds the slug again (the living place wins)."""
        if City.objects.filter(slug=slug).exists():
            return None
        moved = self.select_related("city").filter(old_slug=slug).first()
        return moved.city if moved else None


class PlaceRedirect(models.Model):
    """A place merged into another (a duplicate): its old slug answers with a permanent
    redirect to the place it was merged into, so permalinks and citations keep working,
    and the row records the merge. A chain (A into B, then B into C) is kept one step
    long: merging B moves A's redirect to C."""

    old_slug = models.SlugField(max_length=220, unique=True)
    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="merged_places", help_text="The place it was merged into."
    )
    old_id = models.PositiveBigIntegerField("old id", help_text="The merged record's id (as data releases cite it).")
    old_name = models.CharField(max_length=200)
    old_country = models.CharField("old country", max_length=2)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.CharField(max_length=150, blank=True)
    moved = models.TextField("what moved", blank=True)

    objects = PlaceRedirectQuerySet.as_manager()

    class Meta:
        verbose_name = "merged place"

    def __str__(self) -> str:
        return f"{self.old_name} ({self.old_country}), merged; was /{self.old_slug}/"
