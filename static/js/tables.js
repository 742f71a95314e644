/* Citynet: a table wider than its scroll box (.table-scroll) says so. It gets .is-scrollable
 * (citynet.css draws a shadow on the side with more columns), keyboard focus (arrow keys
 * scroll it) and a note above it naming how many columns it has. Loaded on every page.
 */
(function () {
  "use strict";

  function mark(box) {
    var scrollable = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("is-scrollable", scrollable);
    var cue = box.previousElementSibling;
    var hasCue = cue && cue.classList.contains("scroll-cue");
    if (scrollable && !hasCue) {
      var table = box.querySelector("table");
      // The last header row names the columns (a row above it may group them).
      var row = table && (table.querySelector("thead tr:last-child") || table.querySelector("tr"));
      var columns = row ? row.children.length : 0;
      cue = document.createElement("p");
      cue.className = "scroll-cue";
      cue.setAttribute("aria-hidden", "true");
      cue.textContent = "Wider than the screen: scroll the table sideways" + (columns ? " for all " + columns + " columns" : "");
      box.parentNode.insertBefore(cue, box);
      if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
    } else if (!scrollable && hasCue) {
      cue.remove();
    }
  }

  function markAll() {
    document.querySelectorAll(".table-scroll").forEach(mark);
  }

  function start() {
    markAll();
    var timer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(markAll, 100);
    });
    // A table inside a closed <details> has no width until it opens.
    document.querySelectorAll("details").forEach(function (details) {
      details.addEventListener("toggle", markAll);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
