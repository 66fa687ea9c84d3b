// A case's page: the map pin of where it happened (no tiles unless configured).
"use strict";
(function () {
  const holder = document.getElementById("case-map");
  if (!holder || !window.L) { return; }
  const point = [parseFloat(holder.dataset.lat), parseFloat(holder.dataset.lon)];
  const map = L.map(holder, { attributionControl: false }).setView(point, 17);
  if (holder.dataset.tiles) { L.tileLayer(holder.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  L.circleMarker(point, { radius: 9, color: "#b91c1c", fillColor: "#ef4444", fillOpacity: 0.9 }).addTo(map);
})();
