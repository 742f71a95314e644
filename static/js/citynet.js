/* Citynet: draws every chart on the page with the vendored plotly.js and wires its clicks.
 *
 * A chart is a <div class="chart-plot" data-figure="ID"> whose figure JSON sits in
 * <script type="application/json" id="ID"> (Django's json_script). No inline script, so a
 * Content-Security-Policy of script-src 'self' is enough. Options on the div:
 *   data-click="evidence"  a click shows the evidence whose element id is the point's
 *                          customdata in #evidence-panel, and puts it in the URL's hash;
 *                          evidence not on the page is fetched from the page that a link
 *                          <a data-evidence="ID" href="PAGE#ID"> names (a city's evidence
 *                          in one network), once per page;
 *   data-click="link"      a click opens the URL in customdata (or customdata[0]);
 *   data-click="anchor"    a click jumps to the element whose id is customdata;
 *   data-hover="neighbours" (graph) hovering a node highlights it and its neighbours;
 *   data-figure-narrow=ID  another figure drawn instead while the chart is narrower than 600 px
 *                          (a layout alone, without "data", draws the wide figure's data);
 *   data-topojson-url      where plotly.js finds world_110m.json (our own static files);
 *   data-figure-url        where the figure is fetched from instead, as JSON {"figure",
 *                          "narrow_figure" (optional)}: a large one (a network's member map)
 *                          kept out of the page, each at an address of its own data version.
 */
(function () {
  "use strict";

  function target(point) {
    var data = point && point.customdata;
    return Array.isArray(data) ? data[0] : data;
  }

  // Outline the bars or points whose evidence the panel shows.
  function markMarks(div, anchor) {
    var widths = [], colours = [], traces = [];
    div.data.forEach(function (trace, index) {
      if (!Array.isArray(trace.customdata) || (trace.type !== "bar" && trace.type !== "scatter")) return;
      var chosen = trace.customdata.map(function (value) {
        return (Array.isArray(value) ? value[0] : value) === anchor;
      });
      widths.push(chosen.map(function (yes) { return yes ? 3 : 0; }));
      colours.push(chosen.map(function (yes) { return yes ? "#d55e00" : "rgba(0,0,0,0)"; }));
      traces.push(index);
    });
    if (traces.length) Plotly.restyle(div, { "marker.line.width": widths, "marker.line.color": colours }, traces);
  }

  // Outline the heatmap cell (or bar, or point) whose evidence the panel shows.
  function markCell(anchor) {
    document.querySelectorAll(".chart-plot.is-drawn[data-click='evidence']").forEach(function (div) {
      var trace = div.data && div.data[0];
      if (!trace) return;
      if (trace.type !== "heatmap") {
        markMarks(div, anchor);
        return;
      }
      var shapes = (div.layout.shapes || []).filter(function (shape) { return shape.name !== "selected"; });
      (trace.customdata || []).forEach(function (row, y) {
        row.forEach(function (value, x) {
          if (value === anchor) {
            shapes.push({ name: "selected", type: "rect", x0: x - 0.5, x1: x + 0.5, y0: y - 0.5, y1: y + 0.5,
                          line: { color: "#d55e00", width: 3 } });
          }
        });
      });
      Plotly.relayout(div, { shapes: shapes });
    });
  }

  // Whether a URL fragment names the evidence behind a mark (an .evidence-cell on this page).
  function isEvidence(anchor) {
    var found = anchor && document.getElementById(anchor);
    return Boolean(found && found.classList.contains("evidence-cell"));
  }

  // The link to a mark's evidence on another page, where the evidence is not on this one.
  function evidenceLink(anchor) {
    var links = document.querySelectorAll("a[data-evidence]");
    for (var i = 0; i < links.length; i++) {
      var link = links[i];
      if (link.dataset.evidence === anchor && link.pathname !== window.location.pathname) return link;
    }
    return null;
  }

  // Fetches the page holding a mark's evidence and keeps its evidence cells (hidden) on this
  // page, then shows the mark's; if that fails, the reader is taken to the page itself.
  var fetching = {};
  function fetchEvidence(anchor, scroll) {
    var link = evidenceLink(anchor);
    if (!link || !window.fetch) return false;
    var address = link.href.split("#")[0];
    var panel = document.getElementById("evidence-panel");
    if (panel) {
      panel.classList.add("is-loading");
      panel.setAttribute("aria-busy", "true");
    }
    fetching[address] = fetching[address] || fetch(address, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var store = document.getElementById("evidence-fetched");
        if (!store) {
          store = document.createElement("div");
          store.id = "evidence-fetched";
          store.hidden = true;
          document.body.appendChild(store);
        }
        page.querySelectorAll(".evidence-cell[id]").forEach(function (cell) {
          if (!document.getElementById(cell.id)) store.appendChild(document.adoptNode(cell));
        });
      });
    fetching[address]
      .then(function () {
        if (!isEvidence(anchor)) throw new Error("not found");
        showEvidence(anchor, scroll);
      })
      .catch(function () {
        delete fetching[address];
        window.location.assign(link.href);
      })
      .finally(function () {
        if (panel) {
          panel.classList.remove("is-loading");
          panel.removeAttribute("aria-busy");
        }
      });
    return true;
  }

  function showEvidence(anchor, scroll) {
    var source = document.getElementById(anchor);
    var panel = document.getElementById("evidence-panel");
    if (!source) return fetchEvidence(anchor, scroll);
    if (!panel) {
      source.scrollIntoView();
      return true;
    }
    var copy = source.cloneNode(true);
    copy.removeAttribute("id");
    copy.removeAttribute("tabindex");
    copy.classList.add("in-panel");
    panel.replaceChildren(copy);
    panel.classList.add("has-evidence");
    history.replaceState(null, "", "#" + anchor);
    markCell(anchor);
    if (scroll) {
      var box = panel.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) panel.scrollIntoView({ block: "nearest" });
    }
    panel.focus({ preventScroll: true });
    return true;
  }

  function wireClicks(div, mode) {
    div.on("plotly_click", function (event) {
      var value = target(event.points && event.points[0]);
      if (!value) return;
      if (mode === "evidence") showEvidence(value, true);
      else if (mode === "link") window.location.assign(value);
      else if (mode === "anchor") window.location.hash = value;
    });
  }

  function wireNeighbours(div) {
    var nodes = div.data.findIndex(function (trace) { return trace.name === "nodes"; });
    var lines = div.data.findIndex(function (trace) { return trace.name === "highlight"; });
    if (nodes < 0 || lines < 0) return;
    var resting = div.data[nodes].marker.opacity.slice();
    var hovered = null;
    div.on("plotly_hover", function (event) {
      var point = event.points && event.points[0];
      if (!point || point.curveNumber !== nodes || point.pointNumber === hovered) return;
      hovered = point.pointNumber;
      var near = point.customdata[1] || [];
      var xs = div.data[nodes].x, ys = div.data[nodes].y;
      var opacity = resting.map(function () { return 0.12; });
      var lineX = [], lineY = [];
      opacity[hovered] = 1;
      near.forEach(function (other) {
        opacity[other] = 1;
        lineX.push(xs[hovered], xs[other], null);
        lineY.push(ys[hovered], ys[other], null);
      });
      Plotly.restyle(div, { "marker.opacity": [opacity] }, [nodes]);
      Plotly.restyle(div, { x: [lineX], y: [lineY] }, [lines]);
    });
    div.on("plotly_unhover", function () {
      hovered = null;
      Plotly.restyle(div, { "marker.opacity": [resting] }, [nodes]);
      Plotly.restyle(div, { x: [[]], y: [[]] }, [lines]);
    });
  }

  // Below this width a chart with a narrow variant (data-figure-narrow) draws that one.
  var NARROW = 600;

  function figureFor(div) {
    var narrow = div.dataset.figureNarrow && div.clientWidth < NARROW;
    var source = document.getElementById(narrow ? div.dataset.figureNarrow : div.dataset.figure);
    if (!source) return null;
    var figure = JSON.parse(source.textContent);
    // A narrow figure may be a layout alone (the member map): it draws the wide figure's data,
    // which the page then carries once.
    var wide = !figure.data && document.getElementById(div.dataset.figure);
    if (wide) figure.data = JSON.parse(wide.textContent).data;
    // A heatmap's narrow figure is the wide one's cells turned a quarter (codes down the side).
    if (wide && figure.transpose) figure.data = figure.data.map(turned);
    return { narrow: narrow, figure: figure };
  }

  // A trace with its cell arrays transposed and its x and y swapped (charts.turned_layout).
  function turned(trace) {
    var copy = Object.assign({}, trace, { x: trace.y, y: trace.x });
    ["z", "text", "hovertext", "customdata"].forEach(function (key) {
      var rows = trace[key];
      if (!Array.isArray(rows) || !Array.isArray(rows[0])) return;
      copy[key] = rows[0].map(function (_, column) {
        return rows.map(function (row) {
          return row[column];
        });
      });
    });
    return copy;
  }

  function draw(div) {
    var chosen = figureFor(div);
    if (!chosen) return;
    var config = { responsive: true, displaylogo: false, displayModeBar: false, scrollZoom: false };
    if (div.dataset.topojsonUrl) {
      config.topojsonURL = div.dataset.topojsonUrl;
      // A map pans by dragging and zooms with these buttons (the wheel keeps scrolling the page).
      config.displayModeBar = true;
      config.modeBarButtons = [["zoomInGeo", "zoomOutGeo", "resetGeo"]];
    }
    Plotly.newPlot(div, chosen.figure.data, chosen.figure.layout, config).then(function () {
      div.dataset.narrowDrawn = chosen.narrow ? "1" : "0";
      if (div.dataset.click) wireClicks(div, div.dataset.click);
      if (div.dataset.hover === "neighbours") wireNeighbours(div);
      div.classList.add("is-drawn");
      var hash = decodeURIComponent(window.location.hash.slice(1));
      if (div.dataset.click === "evidence" && isEvidence(hash)) markCell(hash);
      if (div.dataset.figureNarrow) {
        window.addEventListener("resize", function () {
          var now = figureFor(div);
          if (now && (now.narrow ? "1" : "0") !== div.dataset.narrowDrawn) {
            div.dataset.narrowDrawn = now.narrow ? "1" : "0";
            Plotly.react(div, now.figure.data, now.figure.layout, config);
          }
        });
      }
    });
  }

  // Fetches a chart's figures (data-figure-url) and keeps them in the page as the JSON blocks a
  // chart's figures are otherwise written in, then draws it.
  function fetchFigure(div) {
    if (!window.fetch) return;
    fetch(div.dataset.figureUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (figures) {
        var keep = function (id, figure) {
          var block = document.createElement("script");
          block.type = "application/json";
          block.id = id;
          block.textContent = JSON.stringify(figure);
          div.insertAdjacentElement("afterend", block);
        };
        keep(div.dataset.figure, figures.figure);
        if (figures.narrow_figure) {
          div.dataset.figureNarrow = div.id + "-narrow";
          keep(div.dataset.figureNarrow, figures.narrow_figure);
        }
        draw(div);
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "notice";
        note.textContent = "The chart could not be loaded; its data are in the download below.";
        div.replaceWith(note);
      });
  }

  // A section of a page that is slow to count (a city's places most like it) comes from a page
  // of its own: <div data-include="URL" data-include-select="#ID"> is replaced by that page's
  // element #ID; until then, or if it fails, it keeps its link to the page.
  function includeSections() {
    if (!window.fetch || !window.DOMParser) return;
    document.querySelectorAll("[data-include]").forEach(function (slot) {
      fetch(slot.dataset.include, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var part = new DOMParser().parseFromString(html, "text/html").querySelector(slot.dataset.includeSelect);
          if (part) slot.replaceChildren(document.adoptNode(part));
        })
        .catch(function () {});
    });
  }

  function start() {
    includeSections();
    if (typeof Plotly === "undefined") return;
    document.querySelectorAll(".chart-plot[data-figure]").forEach(function (div) {
      if (div.dataset.figureUrl) fetchFigure(div);
      else draw(div);
    });
    // Links to a cell's evidence open it in the panel beside the chart, where there is one.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-evidence]");
      if (link && document.getElementById("evidence-panel") && showEvidence(link.dataset.evidence, true)) {
        event.preventDefault();
      }
    });
    // A permalink to a cell or bar (#evidence-..., #offer-...) opens its evidence in the panel too.
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (isEvidence(hash) || (hash && evidenceLink(hash))) showEvidence(hash, false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
