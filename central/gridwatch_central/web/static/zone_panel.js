// The zone editor's panels (camera configuration page): the list of zones, lines and masks
// beside the picture, the camera's live picture from its edge, and the config as the page
// loaded it and as it will be saved (relative points, masks by what they hide).
"use strict";
(function () {
  const editor = window.gwZoneEditor;
  if (!editor) { return; }
  const { state, labels, data } = editor;
  const list = document.getElementById("zone-list");
  const picture = document.getElementById("zone-picture");
  const { nextId, rename, removeShape, setTool, focusCorner, changed, render, pxText, clamp, round } = editor;

  function renderList() {
    list.replaceChildren();
    if (state.shapes.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty small";
      empty.textContent = labels.no_shapes;
      list.appendChild(empty);
    }
    state.shapes.forEach((shape) => {
      const item = document.createElement("li");
      item.className = shape === state.selected ? "selected" : "";
      item.dataset.kind = shape.kind;
      const head = document.createElement("div");
      head.className = "row";
      const kind = document.createElement("span");
      kind.className = `kind ${shape.kind}`;
      kind.textContent = labels[shape.kind];
      const name = shape.kind === "mask" ? maskChoice(shape) : idInput(shape);
      const pick = document.createElement("button");
      pick.type = "button";
      pick.textContent = labels.select;
      pick.addEventListener("click", () => { setTool("select"); state.selected = shape; render(); focusCorner(shape, 0); });
      const drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = labels.delete;
      drop.addEventListener("click", () => removeShape(shape));
      head.append(kind, name, pick, drop);
      const corners = document.createElement("div");
      corners.className = "corners small";
      corners.textContent = shape.points.map((point) => `(${pxText(point)})`).join(" ");
      item.append(head, corners);
      list.appendChild(item);
    });
  }

  function idInput(shape) {
    const name = document.createElement("input");
    name.value = shape.id;
    name.size = 12;
    name.setAttribute("aria-label", labels.shape_id);
    name.addEventListener("change", () => {
      const ok = rename(shape, name.value.trim());
      name.classList.toggle("invalid", !ok);
      if (!ok) { name.title = labels.bad_id; }
    });
    return name;
  }

  // A mask has no id; what it hides is its choice: detections, or motion.
  function maskChoice(shape) {
    const choice = document.createElement("select");
    choice.dataset.mask = "";
    choice.setAttribute("aria-label", labels.mask);
    ["objects", "motion"].forEach((value) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = labels[`mask_${value}`];
      option.selected = shape.maskFor === value;
      choice.appendChild(option);
    });
    choice.addEventListener("change", () => { shape.maskFor = choice.value; changed(); });
    return choice;
  }

  // --- the picture ---
  const status = document.getElementById("snapshot-status");

  let pictureUrl = null;

  function noPicture(reason) {
    status.textContent = `${labels.no_picture} ${reason}`;
    status.className = "small error";
  }

  // Fetched rather than set as the image's src, so that a refusal's reason (JSON) is read
  // from the same one request: an edge that does not answer costs its timeout once.
  async function loadPicture() {
    status.textContent = labels.loading;
    status.className = "small";
    let response;
    try {
      response = await fetch(`${data.snapshot_url}?t=${Date.now()}`, {
        credentials: "same-origin",
        headers: { Accept: "image/jpeg, application/json" },
      });
    } catch (error) {
      noPicture(String(error));
      return;
    }
    if (!response.ok) {
      let body = {};
      try { body = await response.json(); } catch (_) { /* no reason given */ }
      if (response.status === 401 && body.login) { window.location = body.login; }
      noPicture(body.detail || String(response.status));
      return;
    }
    if (pictureUrl) { URL.revokeObjectURL(pictureUrl); }
    pictureUrl = URL.createObjectURL(await response.blob());
    picture.src = pictureUrl;
  }

  picture.addEventListener("load", () => {
    state.size = { width: picture.naturalWidth, height: picture.naturalHeight };
    status.textContent = `${labels.picture} ${state.size.width} × ${state.size.height} px`;
    editor.root.classList.add("has-picture");
    pixelsToPicture();
    render();
  });

  picture.addEventListener("error", () => noPicture(""));

  document.getElementById("snapshot-reload").addEventListener("click", loadPicture);

  // --- what the page loaded and saves ---
  function load(config) {
    state.shapes = [];
    (config.zones || []).forEach((zone) => {
      const { id, polygon, units, ...extra } = zone;
      state.shapes.push(stored({ kind: "zone", id: id, extra: extra }, polygon, units));
    });
    const masks = config.masks || {};
    ["objects", "motion"].forEach((kind) => {
      (masks[kind] || []).forEach((mask) => {
        const shape = stored({ kind: "mask", id: nextId("mask"), extra: {} }, mask.polygon, mask.units);
        shape.maskFor = kind;
        state.shapes.push(shape);
      });
    });
    (config.rules || []).forEach((rule) => {
      if (rule.type === "line_crossing" && rule.line) {
        const line = stored({ kind: "line", id: uniqueLineId(rule.id), extra: {} }, rule.line, rule.units);
        state.shapes.push(line);
        rule.line_ref = line.id;
      }
    });
  }

  // Pixel coordinates (units: px) are pixels of the stream's frames: made relative with the
  // picture's size once it is in, until then with the reference frame's or the stage's.
  function stored(shape, points, units) {
    if (units === "px") { shape.pixels = points.map((point) => [point[0], point[1]]); }
    shape.points = relative(points, units, data.frame || editor.placeholder);
    return shape;
  }

  function pixelsToPicture() {
    state.shapes.filter((shape) => shape.pixels).forEach((shape) => {
      shape.points = relative(shape.pixels, "px", state.size);
      delete shape.pixels;
    });
  }

  function uniqueLineId(wanted) {
    return state.shapes.some((shape) => shape.id === wanted) ? nextId("line") : wanted;
  }

  // Points as the editor keeps them (0..1): relative ones as they are, pixels divided by the
  // frame ``size`` they were measured on.
  function relative(points, units, size) {
    if (units !== "px") { return points.map((point) => [point[0], point[1]]); }
    return points.map((point) => [round(clamp(point[0] / size.width)), round(clamp(point[1] / size.height))]);
  }

  function zones() {
    return state.shapes.filter((shape) => shape.kind === "zone").map((shape) =>
      Object.assign({ id: shape.id, polygon: shape.points.map((p) => [p[0], p[1]]), units: "relative" }, shape.extra));
  }

  function masks() {
    const chosen = { objects: [], motion: [] };
    state.shapes.filter((shape) => shape.kind === "mask").forEach((shape) => {
      chosen[shape.maskFor].push({ polygon: shape.points.map((p) => [p[0], p[1]]), units: "relative" });
    });
    return chosen;
  }

  editor.zones = zones;
  editor.masks = masks;
  editor.onRender(renderList);
  load(data.config);
  setTool("select");
  loadPicture();
})();
