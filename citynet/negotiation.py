"""Content negotiation of the API (REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]).

DRF's default narrows the renderers to an explicit `?format=` but still requires the Accept
header to match one of them, so `?format=csv` with `Accept: application/json` was a 406;
and it orders Accept's media ranges by how specific they are, ignoring their q-values. Here
an explicit format wins over the header, and the header is read as HTTP says: each
renderer's media type gets the quality of the most specific range that matches it, the
highest quality wins (`q=0`: not acceptable), ties go to the more specific range, then to
the view's renderer order."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.utils.mediatypes import _MediaType


def quality(media_range: _MediaType) -> float:
    """A range's q-value, 0 to 1; a malformed one counts as 1, as if it were left out."""
    try:
        q = float(media_range.params.get("q", "1"))
    except ValueError:
        return 1.0
    return min(max(q, 0.0), 1.0) if q == q else 1.0  # NaN: as if left out


class QualityContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if format is not None:  # `?format=` (empty) names no format either
            renderers = self.filter_renderers(renderers, format)  # 404 if no renderer has it
        accepts = self._get_parsed_accept_list(request) or [_MediaType("*/*")]  # empty header: anything
        best, best_key = None, None
        for position, renderer in enumerate(renderers):
            renderer_type = _MediaType(renderer.media_type)
            matching = [media_range for media_range in accepts if renderer_type.match(media_range)]
            if not matching:
                continue
            # The most specific matching range sets the quality (text/csv;q=0 beats */*).
            media_range = max(matching, key=lambda candidate: candidate.precedence)
            q = quality(media_range)
            key = (q, media_range.precedence, -position)
            if q > 0 and (best_key is None or key > best_key):
                best, best_key = (renderer, media_range), key
        if best is None:
            if format is not None:  # asked for by name: the header does not overrule it
                return renderers[0], renderers[0].media_type
            raise exceptions.NotAcceptable(available_renderers=renderers)
        renderer, media_range = best
        # The renderer's own media type with the range's parameters (e.g. `indent`), without q.
        params = [f"{key}={value}" for key, value in media_range.params.items() if key != "q"]
        return renderer, ";".join([renderer.media_type, *params])
