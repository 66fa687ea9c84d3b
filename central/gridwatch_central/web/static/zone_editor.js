// Zones and lines drawn over a camera's live picture (camera configuration page).
// Points are kept relative to the picture (0..1, what the edge stores) and shown in pixels of
// the picture the edge sent. Polygon tool: click the corners, then Enter, a double click or a
// click on the first corner closes it. Line tool: two clicks. Corners drag with the mouse and
// move with the arrow keys (Shift: 10 px); Delete removes the focused corner or the shape.
// Masks (M) are polygons too: where nothing is detected (objects) or no motion counted.
// Keys: P polygon, M mask, L line, Esc stop drawing / select, Delete remove. The shape list,
// the picture and loading and saving the camera's config are in zone_panel.js.
"use strict";
(function () {
  const root = document.getElementById("zone-editor");
  if (!root) { return; }
  const data = JSON.parse(document.getElementById("zone-editor-data").textContent);
  const labels = data.labels;
  const svg = document.getElementById("zone-overlay");
  const readout = document.getElementById("zone-cursor");
  const hint = document.getElementById("zone-hint");
  const SVG_NS = "http://www.w3.org/2000/svg";
  // Until the edge's picture arrives the stage has the camera's usual 16:9 shape.
  const PLACEHOLDER = { width: 1280, height: 720 };
  const CLOSE_RADIUS_PX = 12; // a click this near the first corner closes the polygon
  const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

  const state = {
    size: Object.assign({}, PLACEHOLDER),
    shapes: [],      // {kind: "zone"|"mask"|"line", id, points: [[x, y] relative], extra: {...}}
    selected: null,  // the selected shape
    tool: "select",
    drawing: [],     // corners of the shape being drawn (relative)
    hover: null,     // cursor (relative) while drawing
  };
  const listeners = [];
  // Unsaved drawing: leaving the page asks first.
  const editorState = { dirty: false };
  window.addEventListener("beforeunload", (event) => {
    if (editorState.dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function changed() {
    editorState.dirty = true;
    render();
    listeners.forEach((listener) => listener());
  }

  // --- coordinates ---
  const px = (point) => [Math.round(point[0] * state.size.width), Math.round(point[1] * state.size.height)];
  const clamp = (value) => Math.min(1, Math.max(0, value));
  const round = (value) => Math.round(value * 10000) / 10000; // 0.1 px on a 1000 px picture

  function relativeAt(event) {
    const box = svg.getBoundingClientRect();
    return [
      round(clamp((event.clientX - box.left) / box.width)),
      round(clamp((event.clientY - box.top) / box.height)),
    ];
  }

  function pxText(point) {
    const [x, y] = px(point);
    return `${x}, ${y}`;
  }

  // --- shapes ---
  function nextId(kind) {
    const taken = new Set(state.shapes.map((shape) => shape.id));
    for (let n = 1; ; n += 1) {
      const id = `${kind}-${n}`;
      if (!taken.has(id)) { return id; }
    }
  }

  function addShape(kind, points) {
    const shape = { kind: kind, id: nextId(kind), points: points, extra: {} };
    state.shapes.push(shape);
    state.selected = shape;
    setTool("select");
    changed();
    return shape;
  }

  function removeShape(shape) {
    state.shapes = state.shapes.filter((other) => other !== shape);
    if (state.selected === shape) { state.selected = null; }
    editorState.dirty = true;
    render();
    listeners.forEach((listener) => listener({ removed: { kind: shape.kind, id: shape.id } }));
  }

  function rename(shape, id) {
    const clash = state.shapes.some((other) => other !== shape && other.id === id);
    if (!ID_PATTERN.test(id) || clash) { return false; }
    const old = shape.id;
    shape.id = id;
    editorState.dirty = true;
    listeners.forEach((listener) => listener({ renamed: { from: old, to: id, kind: shape.kind } }));
    render();
    return true;
  }

  // --- tools ---
  function setTool(tool) {
    state.tool = tool;
    state.drawing = [];
    state.hover = null;
    root.dataset.tool = tool;
    root.querySelectorAll("[data-tool]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
    });
    hint.textContent = labels[`hint_${tool}`];
    render();
  }

  // Zones and masks are drawn alike.
  const isPolygonTool = () => state.tool === "polygon" || state.tool === "mask";

  function finishPolygon() {
    if (state.drawing.length < 3) { return; }
    const shape = addShape(state.tool === "mask" ? "mask" : "zone", state.drawing);
    if (shape.kind === "mask") { shape.maskFor = "objects"; render(); }
  }

  function nearFirstCorner(point) {
    if (state.drawing.length < 3) { return false; }
    const [fx, fy] = px(state.drawing[0]);
    const [x, y] = px(point);
    return Math.hypot(fx - x, fy - y) <= CLOSE_RADIUS_PX * scale();
  }

  // Picture pixels per screen pixel: the close radius is meant on screen.
  function scale() {
    const box = svg.getBoundingClientRect();
    return box.width > 0 ? state.size.width / box.width : 1;
  }

  svg.addEventListener("click", (event) => {
    if (dragEnded) { dragEnded = false; return; }
    if (state.tool === "select") {
      if (event.target === svg) { state.selected = null; render(); }
      return;
    }
    const point = relativeAt(event);
    if (isPolygonTool()) {
      if (nearFirstCorner(point)) { finishPolygon(); return; }
      state.drawing.push(point);
    } else if (state.tool === "line") {
      state.drawing.push(point);
      if (state.drawing.length === 2) {
        const [a, b] = state.drawing;
        if (a[0] !== b[0] || a[1] !== b[1]) { addShape("line", [a, b]); return; }
        state.drawing.pop();
      }
    }
    render();
  });

  svg.addEventListener("dblclick", (event) => {
    if (isPolygonTool()) {
      event.preventDefault();
      // The double click's two clicks added the same corner twice.
      state.drawing.pop();
      finishPolygon();
      return;
    }
    const outline = event.target.closest && event.target.closest("polygon[data-shape]");
    const shape = outline ? state.shapes[+outline.dataset.shape] : null;
    if (state.tool === "select" && shape && shape === state.selected) {
      event.preventDefault();
      insertCorner(shape, relativeAt(event));
    }
  });

  // A double click on a selected zone's edge adds a corner there.
  function insertCorner(shape, point) {
    delete shape.pixels;
    const at = px(point);
    let nearest = 0;
    let best = Infinity;
    shape.points.forEach((corner, index) => {
      const next = shape.points[(index + 1) % shape.points.length];
      const distance = segmentDistance(at, px(corner), px(next));
      if (distance < best) { best = distance; nearest = index; }
    });
    shape.points.splice(nearest + 1, 0, point);
    changed();
    focusCorner(shape, nearest + 1);
  }

  function segmentDistance(p, a, b) {
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const length = dx * dx + dy * dy;
    const t = length ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length)) : 0;
    return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
  }

  svg.addEventListener("pointermove", (event) => {
    const point = relativeAt(event);
    readout.textContent = `${pxText(point)} px · ${point[0].toFixed(3)}, ${point[1].toFixed(3)}`;
    if (state.tool !== "select" && state.drawing.length > 0) {
      state.hover = point;
      render();
    }
  });

  svg.addEventListener("pointerleave", () => { readout.textContent = "—"; });

  // --- dragging corners ---
  let drag = null;
  // The click a browser may send at the end of a drag is no click on the picture; the next
  // press on the picture itself (a corner's press never reaches it) starts afresh.
  let dragEnded = false;
  svg.addEventListener("pointerdown", () => { dragEnded = false; });

  function startDrag(event, shape, index) {
    if (state.tool !== "select") { return; }
    event.preventDefault();
    event.stopPropagation();
    state.selected = shape;
    drag = { shape: shape, index: index, pointer: event.pointerId };
    svg.setPointerCapture(event.pointerId);
    render();
    focusCorner(shape, index);
  }

  svg.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    delete drag.shape.pixels;
    drag.shape.points[drag.index] = relativeAt(event);
    render();
    focusCorner(drag.shape, drag.index);
  });

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    const shape = drag.shape;
    const index = drag.index;
    drag = null;
    dragEnded = true;
    changed();
    focusCorner(shape, index);
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  function focusCorner(shape, index) {
    const corner = svg.querySelector(`circle[data-shape="${state.shapes.indexOf(shape)}"][data-corner="${index}"]`);
    if (corner) { corner.focus({ preventScroll: true }); }
  }

  function moveCorner(shape, index, dx, dy) {
    delete shape.pixels; // edited on the stage as it is now: relative from here on
    const [x, y] = shape.points[index];
    shape.points[index] = [
      round(clamp(x + dx / state.size.width)),
      round(clamp(y + dy / state.size.height)),
    ];
    changed();
    focusCorner(shape, index);
  }

  function removeCorner(shape, index) {
    delete shape.pixels;
    const minimum = shape.kind === "line" ? 2 : 3;
    if (shape.points.length <= minimum) { removeShape(shape); return; }
    shape.points.splice(index, 1);
    changed();
    focusCorner(shape, Math.min(index, shape.points.length - 1));
  }

  // --- keyboard ---
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, select, textarea, dialog");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const corner = event.target.closest && event.target.closest("circle[data-corner]");
    if (corner && ARROWS[event.key]) {
      event.preventDefault();
      const step = event.shiftKey ? 10 : 1;
      const [dx, dy] = ARROWS[event.key];
      moveCorner(state.shapes[+corner.dataset.shape], +corner.dataset.corner, dx * step, dy * step);
      return;
    }
    if (event.key === "Delete" || event.key === "Backspace") {
      if (state.tool !== "select" && state.drawing.length > 0) {
        state.drawing.pop();
        render();
      } else if (corner) {
        removeCorner(state.shapes[+corner.dataset.shape], +corner.dataset.corner);
      } else if (state.selected) {
        removeShape(state.selected);
      } else { return; }
      event.preventDefault();
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "p") { setTool("polygon"); }
    else if (key === "m") { setTool("mask"); }
    else if (key === "l") { setTool("line"); }
    else if (event.key === "Escape") { setTool("select"); }
    else if (event.key === "Enter" && isPolygonTool()) { finishPolygon(); }
    else { return; }
    event.preventDefault();
  });

  root.querySelectorAll("[data-tool]").forEach((button) => {
    button.addEventListener("click", () => setTool(button.dataset.tool));
  });
  document.getElementById("zone-delete").addEventListener("click", () => {
    if (state.selected) { removeShape(state.selected); }
  });

  // --- drawing ---
  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG_NS, name);
    Object.entries(attributes).forEach(([key, value]) => node.setAttribute(key, value));
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function pointsAttribute(points) {
    return points.map((point) => px(point).join(",")).join(" ");
  }

  // Drawn into ``target`` (the editor's overlay or the preview's); handles only when editing.
  function draw(target, editing) {
    target.replaceChildren();
    target.setAttribute("viewBox", `0 0 ${state.size.width} ${state.size.height}`);
    // The stage keeps the picture's shape, with or without the picture in it.
    target.parentElement.style.aspectRatio = `${state.size.width} / ${state.size.height}`;
    const stroke = Math.max(2, state.size.width / 400);
    state.shapes.forEach((shape, shapeIndex) => {
      const selected = editing && shape === state.selected;
      const group = element("g", { class: `shape ${shape.kind}${selected ? " selected" : ""}` }, target);
      const outline = element(shape.kind === "line" ? "polyline" : "polygon", {
        points: pointsAttribute(shape.points),
        "stroke-width": stroke,
        "data-shape": shapeIndex,
      }, group);
      if (editing) {
        outline.addEventListener("click", (event) => {
          if (state.tool !== "select") { return; }
          event.stopPropagation();
          // Redrawn only when the selection changes: a redraw replaces this element, and a
          // double click (adding a corner) needs both its clicks on the same one.
          if (state.selected === shape) { return; }
          state.selected = shape;
          render();
        });
      }
      if (shape.kind === "line") { arrow(group, shape.points, stroke); }
      label(group, shape, stroke);
      if (!selected) { return; }
      shape.points.forEach((point, index) => {
        const [x, y] = px(point);
        const corner = element("circle", {
          cx: x, cy: y, r: stroke * 3, tabindex: 0, class: "corner",
          "data-shape": shapeIndex, "data-corner": index,
          "aria-label": `${shape.id} ${index + 1}: ${x}, ${y} px`,
        }, group);
        corner.addEventListener("pointerdown", (event) => startDrag(event, shape, index));
      });
    });
    if (editing && state.drawing.length > 0) {
      const points = state.hover ? [...state.drawing, state.hover] : state.drawing;
      element("polyline", { points: pointsAttribute(points), class: "drawing", "stroke-width": stroke }, target);
      state.drawing.forEach((point) => {
        const [x, y] = px(point);
        element("circle", { cx: x, cy: y, r: stroke * 2, class: "drawing-corner" }, target);
      });
    }
  }

  // Which side is "in" for a line crossing: an arrow across the line's middle, pointing to
  // its right as seen on screen (from the first point to the second).
  function arrow(group, points, stroke) {
    const [a, b] = points.map(px);
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const middle = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    const normal = [-(b[1] - a[1]) / length, (b[0] - a[0]) / length];
    const reach = stroke * 12;
    const tip = [middle[0] + normal[0] * reach, middle[1] + normal[1] * reach];
    element("line", { x1: middle[0], y1: middle[1], x2: tip[0], y2: tip[1], class: "direction", "stroke-width": stroke }, group);
    element("circle", { cx: tip[0], cy: tip[1], r: stroke * 1.5, class: "direction-tip" }, group);
  }

  function label(group, shape, stroke) {
    const [x, y] = px(shape.points[0]);
    const size = stroke * 8;
    // Above its first corner, or below it when that corner is at the top of the picture.
    const top = y - stroke * 2 < size ? y + size + stroke * 2 : y - stroke * 2;
    const left = Math.min(x + stroke * 2, state.size.width * 0.8);
    const text = element("text", { x: left, y: top, "font-size": size, class: "label" }, group);
    if (shape.kind === "mask") {
      text.textContent = labels[`mask_${shape.maskFor}`];
      return;
    }
    const rules = window.gwZoneRules ? window.gwZoneRules.namesFor(shape) : [];
    text.textContent = rules.length ? `${shape.id} · ${rules.join(", ")}` : shape.id;
  }

  // The panels beside the picture (shape list) redraw with it (zone_panel.js).
  const panels = [];

  function render() {
    draw(svg, true);
    panels.forEach((panel) => panel());
  }

  window.gwZoneEditor = {
    root: root,
    state: state,
    edits: editorState,
    labels: labels,
    data: data,
    placeholder: PLACEHOLDER,
    idPattern: ID_PATTERN,
    px: px,
    pxText: pxText,
    clamp: clamp,
    round: round,
    nextId: nextId,
    rename: rename,
    removeShape: removeShape,
    setTool: setTool,
    focusCorner: focusCorner,
    changed: changed,
    draw: draw,
    render: render,
    onRender: (panel) => panels.push(panel),
    onChange: (listener) => listeners.push(listener),
    shapesOf: (kind) => state.shapes.filter((shape) => shape.kind === kind),
    shape: (kind, id) => state.shapes.find((shape) => shape.kind === kind && shape.id === id) || null,
  };
})();
