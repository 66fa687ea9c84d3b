// A case's page: the map pin of where it happened (no tiles unless configured).
"use strict";
(function () {
  const holder = document.getElementById("case-map");
  if (!holder || !window.L) { return; }
  const point = [parseFloat(holder.dataset.lat), parseFloat(holder.dataset.lon)];
  // No zoom animation: the outline is drawn where it ends up at once (a print, a screenshot
  // or a quick glance never catches a half-scaled map).
  const map = L.map(holder, { attributionControl: false, zoomAnimation: false, fadeAnimation: false })
    .setView(point, 17);
  if (holder.dataset.tiles) { L.tileLayer(holder.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  const outline = JSON.parse(holder.dataset.grid || "null");
  if (outline) {
    // Drawn to be seen without tiles on a pale background: a dark edge and a tinted inside.
    const grid = L.geoJSON(outline, {
      style: { color: "#1e3a8a", weight: 3, opacity: 0.9, fillColor: "#3b82f6", fillOpacity: 0.18 },
    }).addTo(map);
    map.fitBounds(grid.getBounds(), { padding: [12, 12], maxZoom: 18, animate: false });
  }
  L.circleMarker(point, { radius: 9, color: "#b91c1c", fillColor: "#ef4444", fillOpacity: 0.9 }).addTo(map);
  holder.classList.add("ready");
})();
