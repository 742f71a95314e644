"""The serializers' shared parts: natural-key fields, the version field, and model validation
(full_clean) on every write."""

import copy
import re

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import relations
from rest_framework import serializers
from rest_framework.settings import api_settings

from cities.models import City
from networks.models import Network

DATE = serializers.DateField()
DATETIME = serializers.DateTimeField()

# A record's place and network as the API names them: slugs, then names (`PlaceInNetworkFields`).
PLACE_IN_NETWORK_FIELDS = ["city", "city_name", "country", "network", "network_name"]


def model_errors(error: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's error shape: {field or non_field_errors: [messages]}.

    DRF's `as_serializer_error` does the conversion but leaves a model's non-field errors
    (from `full_clean()`) under Django's `__all__`; they go under DRF's key instead."""
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in serializers.as_serializer_error(error).items()
    }


class JsonArrayRelatedField(serializers.ManyRelatedField):
    """Several related objects: a JSON array only (DRF's also reads an object as the list of its
    keys, so `{}` would empty the relation)."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class NaturalKeyField(serializers.SlugRelatedField):
    """A related object named by its natural key (slug, code, label, name); `null` for none
    where none is allowed, never an empty string (DRF reads one as null, for HTML forms); with
    `many=True`, an array of them."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        # DRF's RelatedField.many_init, with a field that takes JSON arrays only.
        shared = {key: value for key, value in kwargs.items() if key in relations.MANY_RELATION_KWARGS}
        return JsonArrayRelatedField(child_relation=cls(*args, **kwargs), **shared)

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        # A key is text, as the schema says: DRF would look the number 0 up as the slug "0".
        # PostgreSQL refuses NUL in a query parameter; DRF would let the database error through.
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def city_slug_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="slug", queryset=City.objects.all(), **kwargs)


def network_slug_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="slug", queryset=Network.objects.all(), **kwargs)


class StrictStringMixin:
    """A text field that takes text only: DRF's CharField turns a number into its digits."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictSlugField(StrictStringMixin, serializers.SlugField):
    pass


class StrictURLField(StrictStringMixin, serializers.URLField):
    pass


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """JSON `true` or `false` only: DRF's BooleanField also reads "yes", "1", 0 and the like."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number only (not "5", not `true`, which DRF's IntegerField reads as 5 and 1)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A JSON number only (not "1.5", not `false`, which DRF's FloatField reads as 1.5 and 0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by its id: a JSON whole number only (DRF's also reads "5" and `true`)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictStringsMixin:
    """Model serializers whose fields take the JSON types the schema names: text only for text
    (JSON numbers are refused), `true`/`false` for booleans, numbers for numbers and ids."""

    serializer_related_field = StrictPrimaryKeyRelatedField

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
        models.EmailField: StrictEmailField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.FloatField: StrictFloatField,
    }


# RFC 3339's date-time, which the schema's `format: date-time` names: with its offset.
DATE_TIME_WITH_OFFSET = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


class VersionField(serializers.DateTimeField):
    """A date and time with its offset, as the API writes it: a date alone is no version."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(DATE_TIME_WITH_OFFSET, value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        return super().to_internal_value(value)


def version_field() -> serializers.DateTimeField:
    """`updated_at`: shown as usual, and on a change optionally sent back as the version the
    change is based on (networks.concurrency); never written."""
    return VersionField(
        required=False,
        help_text="When the record was last saved: its version. On a change, optionally send back the value "
        "you read: if the record has been saved since, the change is refused with 409 (or use If-Match). "
        "Ignored on create.",
    )


class CleanModelSerializer(StrictStringsMixin, serializers.ModelSerializer):
    """A ModelSerializer whose writes are checked by the model itself.

    `validate()` builds the instance the write would save and calls `full_clean()`: field
    validators, the model's `clean()`, unique and check constraints, with the models'
    own messages. DRF's derived unique-together validators are switched off
    (`Meta.validators = []`) so each rule has one message, the model's.
    """

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        try:
            self.candidate(attrs).full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error
        return attrs

    def candidate(self, attrs: dict):
        """The unsaved instance this write would produce (to-many relations left out)."""
        plain = {
            name: value
            for name, value in attrs.items()
            if not isinstance(self.fields.get(name), (serializers.ManyRelatedField, serializers.ListSerializer))
        }
        if self.instance is None:
            return self.Meta.model(**plain)
        instance = copy.copy(self.instance)  # Model.__getstate__ copies the related-object cache too
        for name, value in plain.items():
            setattr(instance, name, value)
        return instance
