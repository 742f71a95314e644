"""Serializers of the cities app's part of the REST API (v1)."""

from rest_framework import serializers

from cities.models import PLACE_DATA_FIELDS
from cities.models import City
from networks.api.serializers import DATETIME
from networks.api.serializers import CleanModelSerializer


class CitySerializer(CleanModelSerializer):
    country_name = serializers.CharField(read_only=True)
    n_memberships = serializers.IntegerField(read_only=True, help_text="Membership spells in any network.")

    class Meta:
        model = City
        fields = [
            "slug",
            "name",
            "country",
            "country_name",
            "kind",
            *PLACE_DATA_FIELDS,
            "n_memberships",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    def to_representation(self, city: City) -> dict:
        # What DRF's fields give (tests compare), without their per-field machinery, a third
        # of a list page's time. The place comes from `networks.selectors.cities_for_list()`;
        # without its `n_memberships`, DRF leaves the read-only field out, and so does this.
        if not hasattr(city, "n_memberships"):
            return super().to_representation(city)
        return {
            "slug": city.slug,
            "name": city.name,
            "country": city.country,
            "country_name": city.country_name,
            "kind": city.kind,
            "latitude": city.latitude,
            "longitude": city.longitude,
            "coordinates_note": city.coordinates_note,
            "population": city.population,
            "population_source": city.population_source,
            "geonames_id": city.geonames_id,
            "geonames_name": city.geonames_name,
            "geonames_note": city.geonames_note,
            "wikidata_id": city.wikidata_id,
            "n_memberships": city.n_memberships,
            "created_at": DATETIME.to_representation(city.created_at),
            "updated_at": DATETIME.to_representation(city.updated_at),
        }
