from django.shortcuts import get_object_or_404, render

from cities.models import City
from networks.models import Code, Coding, Membership, Network


def home(request):
    context = {
        "networks": Network.objects.for_list(),
        "n_cities": City.objects.count(),
        "n_memberships": Membership.objects.count(),
        "n_codings": Coding.objects.count(),
        "codes": Code.objects.current(),
    }
    return render(request, "networks/home.html", context)


def network_list(request):
    return render(request, "networks/network_list.html", {"networks": Network.objects.for_list()})


def network_detail(request, slug):
    network = get_object_or_404(Network.objects.for_detail(), slug=slug)
    context = {
        "network": network,
        "memberships": Membership.objects.in_network(network).for_list(),
        "own_codings": Coding.objects.for_network_as_whole(network)
        .with_evidence()
        .order_by("code__kind", "code__position"),
        "member_codings": Coding.objects.filter(network=network, city__isnull=False)
        .with_evidence()
        .order_by("city__name", "code__kind", "code__position"),
    }
    return render(request, "networks/network_detail.html", context)
