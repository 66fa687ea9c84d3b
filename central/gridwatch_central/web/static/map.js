// The grid map: polygons of the viewer's grids by level, cameras and open cases as markers;
// a click on a grid loads its panel (cases, cameras, staff). Tiles only if configured.
"use strict";
(function () {
  const holder = document.getElementById("grid-map");
  if (!holder || !window.L) { return; }
  const panel = document.getElementById("grid-panel");
  const map = L.map(holder, { attributionControl: false, preferCanvas: false });
  if (holder.dataset.tiles) { L.tileLayer(holder.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  const styles = {
    1: { color: "#1e3a8a", weight: 3, fillOpacity: 0.02, dashArray: null },
    2: { color: "#2563eb", weight: 2, fillOpacity: 0.04, dashArray: "6 4" },
    3: { color: "#60a5fa", weight: 1, fillOpacity: 0.08, dashArray: null },
  };

  async function showGrid(code) {
    const response = await fetch(`/console/map/grid/${encodeURIComponent(code)}`, { credentials: "same-origin" });
    panel.innerHTML = response.ok ? await response.text() : "";
  }

  fetch("/console/map/data", { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      const grids = L.geoJSON(data.grids, {
        style: (feature) => styles[feature.properties.level] || styles[3],
        onEachFeature: (feature, layer) => {
          layer.bindTooltip(feature.properties.name, { sticky: true });
          layer.on("click", (event) => {
            L.DomEvent.stopPropagation(event);
            showGrid(feature.properties.code);
          });
        },
      }).addTo(map);
      // Deeper cells on top, so a click lands on the smallest grid under the pointer.
      grids.eachLayer((layer) => { if (layer.feature.properties.level === 3) { layer.bringToFront(); } });
      holder.dataset.polygons = String(data.grids.features.length);
      if (data.grids.features.length) { map.fitBounds(grids.getBounds(), { padding: [10, 10] }); }
      else { map.setView([30.2, 108.4], 12); }
      for (const camera of data.cameras) {
        L.circleMarker([camera.lat, camera.lon], { radius: 5, color: "#1d4ed8", fillColor: "#3b82f6", fillOpacity: 1 })
          .bindTooltip(`${holder.dataset.labelCamera} ${camera.name}`).addTo(map);
      }
      for (const item of data.cases) {
        L.circleMarker([item.lat, item.lon], { radius: 8, color: "#991b1b", fillColor: "#ef4444", fillOpacity: 0.9 })
          .bindTooltip(`${item.number} ${item.title}`)
          .on("click", () => { window.location = `/console/cases/${item.id}`; })
          .addTo(map);
      }
      holder.classList.add("ready");
    });
})();
