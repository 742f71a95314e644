/* Citynet: "Copy" buttons beside the citations of "Cite this view" (templates/_cite.html).
 * The buttons stay hidden without JavaScript or a clipboard; the text areas can always be
 * selected and copied by hand. No inline handlers, so script-src 'self' suffices.
 */
(function () {
  "use strict";

  function wire(button) {
    var area = document.getElementById(button.dataset.copy);
    if (!area) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      area.select();
      navigator.clipboard.writeText(area.value).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select the text and copy it"; }
      );
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  }

  // Each citation shows whole: CSS field-sizing does it where supported, this elsewhere.
  function fit() {
    if (window.CSS && CSS.supports("field-sizing", "content")) return;
    document.querySelectorAll(".cite-format textarea").forEach(function (area) {
      area.style.height = "auto";
      area.style.height = area.scrollHeight + 2 + "px";
    });
  }

  function start() {
    var cite = document.getElementById("cite");
    if (cite) cite.addEventListener("toggle", fit);
    if (!navigator.clipboard || !window.isSecureContext) return;
    document.querySelectorAll("button[data-copy]").forEach(wire);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
