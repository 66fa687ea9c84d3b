// Edges and cameras: the camera list filtered as you type (id, name, national code, edge,
// grid or status), for districts with hundreds of cameras. "/" focuses the filter.
"use strict";
(function () {
  const filter = document.getElementById("camera-filter");
  const table = document.getElementById("camera-table");
  if (!filter || !table) { return; }
  const count = document.getElementById("camera-count");
  let rows = [];

  function apply() {
    rows = Array.from(table.querySelectorAll("tbody tr[data-camera]"));
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((row) => {
      const text = row.textContent.toLowerCase();
      const match = words.every((word) => text.includes(word));
      row.hidden = !match;
      shown += match ? 1 : 0;
    });
    count.textContent = `${shown} / ${rows.length}`;
  }

  filter.addEventListener("input", apply);
  // Rows fetched again while a config is pending keep the filter.
  document.body.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && !event.target.closest("input, select, textarea")) {
      event.preventDefault();
      filter.focus();
    }
  });
  apply();
})();
