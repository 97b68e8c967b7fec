// The zoomable map of a search's results, loaded only on the map view (never on the list).
// It replaces the server's SVG drawing when Leaflet is there; without this file the drawing and
// the list still say everything. Every request it makes goes to this site (the outlines) or to
// the operator's own tile origin, the only other one the CSP allows.
(function () {
  "use strict";
  var figure = document.querySelector("[data-map]");
  if (!figure || !window.L) return;
  var setup = JSON.parse(figure.getAttribute("data-map-script"));
  var words = figure.dataset;
  var PIN_SIZE = 32;
  var FIT_MAX_ZOOM = 14;

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  var box = document.createElement("div");
  box.className = "live-map";
  box.id = "live-map";
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", words.labelMap);
  var skip = figure.querySelector(".skip-map");
  figure.insertBefore(box, skip ? skip.nextSibling : figure.firstChild);
  figure.classList.add("has-live-map");

  var map = L.map(box, { maxZoom: 17, zoomSnap: 0.5, worldCopyJump: false });
  map.attributionControl.setPrefix("Leaflet");
  map.zoomControl.getContainer().querySelectorAll("a").forEach(function (a) {
    a.setAttribute("aria-label", a.classList.contains("leaflet-control-zoom-in") ? words.labelZoomIn : words.labelZoomOut);
    a.title = a.getAttribute("aria-label");
  });

  // Where to look: every pin and the searched place.
  var points = setup.pins.map(function (p) { return [p.lat, p.lon]; });
  if (setup.place) points.push([setup.place.lat, setup.place.lon]);
  if (points.length === 1) {
    map.setView(points[0], FIT_MAX_ZOOM - 1);
  } else if (points.length) {
    map.fitBounds(points, { padding: [PIN_SIZE, PIN_SIZE], maxZoom: FIT_MAX_ZOOM });
  } else {
    map.setView([39.5, -98.35], 4);
  }

  // The base: the operator's tiles, or the outlines that ship with the app.
  var tiles = setup.tiles;
  if (tiles && tiles.kind === "raster") {
    L.tileLayer(tiles.url, { maxNativeZoom: tiles.max_zoom, maxZoom: 17, attribution: tiles.attribution }).addTo(map);
  } else if (tiles && window.protomapsL) {
    protomapsL.leafletLayer({ url: tiles.url, flavor: "light", lang: "en", maxDataZoom: tiles.max_zoom, attribution: tiles.attribution }).addTo(map);
  } else {
    outlines(map, figure.getAttribute("data-outlines-url"), words.outlinesCredit);
  }

  if (setup.place) {
    var place = L.marker([setup.place.lat, setup.place.lon], {
      icon: L.divIcon({ className: "map-place-marker", html: "<span></span>", iconSize: [18, 18] }),
      keyboard: false, interactive: false, zIndexOffset: 1000  // above the pins: it is where the distances are from
    }).addTo(map);
    label(place, say(words.labelPlace, { place: words.placeName }), "img");
  }

  var cluster = L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 40,
    spiderfyOnMaxZoom: true,
    iconCreateFunction: function (group) {
      var count = group.getChildCount();
      return L.divIcon({ className: "map-cluster", html: String(count), iconSize: [40, 40] });
    }
  });
  cluster.on("animationend spiderfied", labelClusters);
  map.on("zoomend moveend", labelClusters);

  setup.pins.forEach(function (pin) {
    var name = pin.name + (pin.approximate ? " (" + words.labelApproximate + ")" : "");
    var marker = L.marker([pin.lat, pin.lon], {
      icon: L.divIcon({
        className: "map-marker" + (pin.approximate ? " approximate" : ""),
        html: String(pin.n), iconSize: [PIN_SIZE, PIN_SIZE]
      }),
      keyboard: true, riseOnHover: true
    });
    marker.options.pinLabel = say(words.labelPin, { n: pin.n, name: name });
    marker.on("add", function () { label(marker, marker.options.pinLabel, "button"); });
    marker.bindPopup(function () { return card(pin.card); }, { maxWidth: Math.min(320, box.clientWidth - 60), minWidth: Math.min(220, box.clientWidth - 60), autoPanPadding: [12, 12] });
    marker.on("popupopen", function (e) {
      hideCovered(e.popup.getElement(), marker.getElement());
      var first = e.popup.getElement().querySelector(".leaflet-popup-content a, .leaflet-popup-content button");
      if (first) first.focus({ preventScroll: true });
    });
    marker.on("popupclose", function (e) {
      hideCovered(null, null);
      // Back to the pin, unless the person has already moved on elsewhere on the page.
      var active = document.activeElement;
      var icon = marker.getElement();
      if (icon && (!active || active === document.body || e.popup.getElement().contains(active))) {
        icon.focus({ preventScroll: true });
      }
    });
    cluster.addLayer(marker);
  });
  map.addLayer(cluster);
  labelClusters();

  // Keys that a button answers to: Space as well as Enter (Leaflet answers Enter only).
  box.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === " " && target.getAttribute && target.getAttribute("role") === "button" && target.tagName !== "A") {
      event.preventDefault();
      target.click();
    }
    if (event.key === "Escape") map.closePopup();
  });

  function label(marker, text, role) {
    var icon = marker.getElement();
    if (!icon) return;
    icon.setAttribute("role", role);
    icon.setAttribute("aria-label", text);
    icon.title = text;
  }

  // Pins the open card covers cannot be tapped or seen: out of the keys' and the reader's way
  // until it closes (a covered target is no target, WCAG 2.5.8).
  function hideCovered(popup, own) {
    var over = popup && popup.getBoundingClientRect();
    box.querySelectorAll(".map-marker, .map-cluster").forEach(function (icon) {
      var r = icon.getBoundingClientRect();
      var covered = over && icon !== own && r.left < over.right && r.right > over.left &&
        r.top < over.bottom && r.bottom > over.top;
      if (covered) {
        icon.setAttribute("aria-hidden", "true");
        icon.setAttribute("tabindex", "-1");
        icon.classList.add("covered");
      } else if (icon.classList.contains("covered")) {
        icon.removeAttribute("aria-hidden");
        icon.setAttribute("tabindex", "0");
        icon.classList.remove("covered");
      }
    });
  }

  function labelClusters() {
    box.querySelectorAll(".map-cluster").forEach(function (icon) {
      var text = say(words.labelCluster, { count: icon.textContent });
      icon.setAttribute("role", "button");
      icon.setAttribute("aria-label", text);
      icon.title = text;
    });
  }

  // The popup is the list's own card for the place (a copy without its id).
  function card(id) {
    var original = document.getElementById(id);
    var list = document.createElement("ul");
    list.className = "results map-card";
    if (!original) return list;
    var copy = original.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    // In the list a card's name may be an h4 under a day's h3; on the map it sits under the
    // results' h2, so it is an h3 there (headings never skip a level).
    var name = copy.querySelector("h3, h4");
    if (name && name.tagName === "H4") {
      var heading = document.createElement("h3");
      while (name.firstChild) heading.appendChild(name.firstChild);
      name.parentNode.replaceChild(heading, name);
    }
    list.appendChild(copy);
    return list;
  }

  // The offline base: state and county lines for the part of the country in view.
  function outlines(map, url, credit) {
    map.createPane("outlines");
    var labels = map.createPane("outline-labels");
    labels.setAttribute("aria-hidden", "true");
    var group = L.layerGroup().addTo(map);
    map.attributionControl.addAttribution(credit);
    var shown = "";
    var pending = null;
    function load() {
      var b = map.getBounds().pad(0.25);
      var west = Math.max(-180, b.getWest()), east = Math.min(180, b.getEast());
      var south = Math.max(-89.9, b.getSouth()), north = Math.min(89.9, b.getNorth());
      var c = map.getCenter();
      if (east - west > 90) { west = Math.max(-180, c.lng - 45); east = Math.min(180, west + 90); }
      if (north - south > 90) { south = Math.max(-89.9, c.lat - 45); north = Math.min(89.9, south + 90); }
      var key = [west, south, east, north].map(function (v) { return v.toFixed(3); }).join(",");
      if (key === shown) return;
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url + "?bbox=" + key, { signal: pending.signal, credentials: "omit" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          shown = key;
          group.clearLayers();
          var opts = { pane: "outlines", interactive: false };
          if (data.counties.length) group.addLayer(L.polyline(data.counties, L.extend({ className: "map-county-line" }, opts)));
          if (data.states.length) group.addLayer(L.polyline(data.states, L.extend({ className: "map-state-line" }, opts)));
          data.labels.forEach(function (l) {
            var icon = L.divIcon({ className: "map-text-label " + l.kind, html: "", iconSize: [160, 18], iconAnchor: [80, 9] });
            var m = L.marker(l.at, { icon: icon, pane: "outline-labels", interactive: false, keyboard: false });
            m.on("add", function () { m.getElement().textContent = l.name; });
            group.addLayer(m);
          });
        })
        .catch(function () { /* a map without outlines still shows the pins */ });
    }
    map.on("moveend", load);
    load();
  }
})();
