/* Citynet admin: fill a new city's fields as soon as a GeoNames place is picked.
 * The server fills the same empty fields on save, so this only saves a round trip.
 * A static file (no inline script), so the Content Security Policy's script-src 'self' allows it.
 */
"use strict";
(function ($) {
  if (!$) return;
  var FIELDS = ["country", "latitude", "longitude", "population", "population_source", "geonames_id", "geonames_name"];
  function put(name, value) {
    var input = document.getElementById("id_" + name);
    if (!input) return;
    input.value = value === null || value === undefined ? "" : value;
    $(input).trigger("change");
  }
  $(document).on("select2:select", "#id_geonames_place", function (event) {
    var place = event.params.data;
    if (!document.getElementById("id_name").value) put("name", place.name);
    FIELDS.forEach(function (name) { put(name, place[name]); });
  });
})(window.django && window.django.jQuery);
