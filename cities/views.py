from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from cities.models import City
from networks.models import Coding, EngagementObservation, Membership, Participation


def city_list(request):
    cities = City.objects.for_list()
    query = request.GET.get("q", "").strip()[:100]
    if query:
        cities = cities.filter(name__icontains=query)
    page = Paginator(cities, 100).get_page(request.GET.get("page"))
    return render(request, "cities/city_list.html", {"page": page, "query": query})


def city_detail(request, slug):
    city = get_object_or_404(City, slug=slug)
    context = {
        "city": city,
        "memberships": Membership.objects.filter(city=city).for_list(),
        "codings": Coding.objects.for_city(city),
        "participations": Participation.objects.for_city(city),
        "engagement": EngagementObservation.objects.filter(city=city).select_related("network", "source"),
    }
    return render(request, "cities/city_detail.html", context)
