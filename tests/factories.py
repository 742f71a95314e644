import datetime
import io

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils.text import slugify

from cities.models import City
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork
from networks.models import Theme


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`UserFactory(role=EDITOR)`: the user is in that group, as `manage.py setup_roles` makes it."""
        if extracted:
            call_command("setup_roles", stdout=io.StringIO())
            self.groups.add(Group.objects.get(name=extracted))


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City

    name = factory.Sequence(lambda n: f"City {n}")
    slug = factory.LazyAttribute(lambda o: slugify(f"{o.name}-{o.country}"))
    country = "NO"
    kind = City.Kind.CITY
    latitude = 59.9
    longitude = 10.7
    population = 100_000
    population_source = "GeoNames"
    geonames_id = factory.Sequence(lambda n: 9_000_000 + n)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    kind = Source.Kind.DOCUMENT
    label = factory.Sequence(lambda n: f"Document {n}")
    citation = factory.Sequence(lambda n: f"Author (2020). Document {n}. Publisher.")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    scope = Network.Scope.GLOBAL
    focus = Network.Focus.GENERAL


class CityInNetworkFactory(factory.django.DjangoModelFactory):
    """What a row about one city in one network starts from: memberships, participations,
    codings, engagement observations."""

    class Meta:
        abstract = True

    city = factory.SubFactory(CityFactory)
    network = factory.SubFactory(NetworkFactory)


class MembershipFactory(CityInNetworkFactory):
    class Meta:
        model = Membership

    joined = datetime.date(2014, 1, 1)
    joined_precision = "year"
    source = factory.SubFactory(SourceFactory)


class SubNetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubNetwork

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Forum {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = SubNetwork.Kind.FORUM
    permanent = True


class ParticipationFactory(CityInNetworkFactory):
    class Meta:
        model = Participation

    unit = "Department of environment"
    unit_kind = Participation.UnitKind.ADMINISTRATION
    source = factory.SubFactory(SourceFactory)


class CodebookVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CodebookVersion
        django_get_or_create = ("label",)

    label = "test"
    released = datetime.date(2018, 1, 1)
    is_current = True


class CodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Code

    version = factory.SubFactory(CodebookVersionFactory)
    code = factory.Sequence(lambda n: f"code-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = Code.Kind.FUNCTION
    definition = "What the code means."


class CoderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coder

    name = factory.Sequence(lambda n: f"Coder {n}")


class CodingFactory(CityInNetworkFactory):
    class Meta:
        model = Coding

    code = factory.SubFactory(CodeFactory)
    salience = 2
    outcome = Coding.Outcome.MET
    perspective = Coding.Perspective.CITY
    coder = factory.SubFactory(CoderFactory)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    coding = factory.SubFactory(CodingFactory)
    source = factory.SubFactory(SourceFactory)
    locator = "p. 1"
    kind = Evidence.Kind.PARAPHRASE
    text = factory.Sequence(lambda n: f"What informant {n} said.")


class EngagementObservationFactory(CityInNetworkFactory):
    class Meta:
        model = EngagementObservation

    observed_on = datetime.date(2018, 1, 1)
    level = EngagementObservation.Level.MODERATE
    source = factory.SubFactory(SourceFactory)


# The API's editable resources: the factory that makes a row of each, and the field that names
# a row in its URL and heads its CSV.
API_RESOURCES = {
    "cities": (CityFactory, "slug"),
    "networks": (NetworkFactory, "slug"),
    "memberships": (MembershipFactory, "id"),
    "subnetworks": (SubNetworkFactory, "id"),
    "participations": (ParticipationFactory, "id"),
    "codes": (CodeFactory, "code"),
    "sources": (SourceFactory, "id"),
    "codings": (CodingFactory, "id"),
    "engagement": (EngagementObservationFactory, "id"),
}
