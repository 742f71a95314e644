"""`{{ slug|city_url }}` and `{{ slug|network_url }}`: `{% url 'cities:city_detail' slug %}` and
`{% url 'networks:network_detail' slug %}` for the rows of a table, without matching the URL
pattern again for each one (citynet.links.slug_url)."""

from django import template

from citynet.links import slug_url

register = template.Library()


@register.filter
def city_url(slug: str) -> str:
    return slug_url("cities:city_detail", slug)


@register.filter
def network_url(slug: str) -> str:
    return slug_url("networks:network_detail", slug)
