"""Serializers of the cities app's part of the REST API (v1)."""

from rest_framework import serializers

from cities.models import City
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
            "latitude",
            "longitude",
            "coordinates_note",
            "population",
            "population_source",
            "geonames_id",
            "geonames_name",
            "geonames_note",
            "wikidata_id",
            "n_memberships",
            "created_at",
            "updated_at",
        ]
        validators: list = []
