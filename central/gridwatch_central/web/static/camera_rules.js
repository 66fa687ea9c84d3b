// The rules of a camera (camera configuration page): each rule watches a zone (or, for
// line_crossing, a line, optionally within a zone) drawn in zone_editor.js; its parameters
// come from the rule models (the page's ``forms``). An empty parameter is left out, so the
// model's default applies (shown as the placeholder). Preview shows every zone and line with
// its rules over the picture and exactly what will be saved; saving posts it to central.
"use strict";
(function () {
  const editor = window.gwZoneEditor;
  if (!editor) { return; }
  const labels = editor.labels;
  const forms = new Map(editor.data.forms.map((form) => [form.type, form]));
  const holder = document.getElementById("rule-list");
  const chooser = document.getElementById("rule-type");
  const rules = [];

  // --- the model of one rule ---
  function ruleFrom(stored) {
    const form = forms.get(stored.type);
    const known = new Set(["type", "id", "zone", "line", "units", "line_ref", ...form.fields.map((f) => f.name)]);
    const params = {};
    const extra = {};
    Object.entries(stored).forEach(([key, value]) => {
      if (!known.has(key)) { extra[key] = value; }  // nested settings, kept as stored
      else if (form.fields.some((f) => f.name === key)) { params[key] = value; }
    });
    return {
      type: stored.type,
      id: stored.id,
      zone: stored.zone || "",
      line: stored.line_ref || "",
      params: params,
      extra: extra,
    };
  }

  function nextRuleId(type) {
    const taken = new Set(rules.map((rule) => rule.id));
    for (let n = 1; ; n += 1) {
      const id = `${type}-${n}`;
      if (!taken.has(id)) { return id; }
    }
  }

  function addRule(type) {
    const form = forms.get(type);
    const selected = editor.state.selected;
    const pick = (kind) => (selected && selected.kind === kind ? selected.id : (editor.shapesOf(kind)[0] || {}).id || "");
    const rule = { type: type, id: nextRuleId(type), zone: "", line: "", params: {}, extra: {} };
    if (form.geometry === "line") { rule.line = pick("line"); } else { rule.zone = pick("zone"); }
    rules.push(rule);
    editor.edits.dirty = true;
    render();
    editor.render();
    const card = holder.lastElementChild;
    const first = card && card.querySelector("input[data-param], select[data-target]");
    if (first) { first.focus(); }
  }

  // --- what is saved ---
  function parameter(field, text) {
    const value = text.trim();
    if (value === "") { return undefined; }
    if (field.kind === "list") { return value.split(/[,，\s]+/).filter(Boolean); }
    if (field.kind === "integer") { return Number.parseInt(value, 10); }
    if (field.kind === "number") { return Number(value); }
    if (field.kind === "boolean") { return value === "true"; }
    return value;
  }

  function payloadOf(rule) {
    const body = Object.assign({ type: rule.type, id: rule.id }, rule.extra);
    const form = forms.get(rule.type);
    if (form.geometry === "line") {
      const line = editor.shape("line", rule.line);
      body.line = line ? line.points.map((p) => [p[0], p[1]]) : null;
      body.units = "relative";
      if (rule.zone) { body.zone = rule.zone; }
    } else {
      body.zone = rule.zone;
    }
    Object.entries(rule.params).forEach(([key, value]) => {
      if (value !== undefined) { body[key] = value; }
    });
    return body;
  }

  function config() {
    return { zones: editor.zones(), rules: rules.map(payloadOf), masks: editor.masks() };
  }

  // --- the rule cards ---
  function option(value, text, selected) {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    node.selected = selected;
    return node;
  }

  function targetSelect(rule, kind, optional) {
    const select = document.createElement("select");
    select.dataset.target = kind;
    if (optional) { select.appendChild(option("", labels.whole_picture, !rule[kind])); }
    editor.shapesOf(kind).forEach((shape) => select.appendChild(option(shape.id, shape.id, shape.id === rule[kind])));
    if (!optional && !rule[kind]) { select.appendChild(option("", labels[`draw_${kind}_first`], true)); }
    select.addEventListener("change", () => { rule[kind] = select.value; editor.render(); });
    return labelled(labels[kind], select);
  }

  function labelled(text, input, title) {
    const wrap = document.createElement("label");
    const caption = document.createElement("span");
    caption.textContent = text;
    if (title) { wrap.title = title; }
    wrap.append(caption, input);
    return wrap;
  }

  function bounds(field) {
    const parts = [];
    if (field.minimum !== null) { parts.push(`≥ ${field.minimum}`); }
    if (field.exclusive_minimum !== null) { parts.push(`> ${field.exclusive_minimum}`); }
    if (field.maximum !== null) { parts.push(`≤ ${field.maximum}`); }
    if (field.exclusive_maximum !== null) { parts.push(`< ${field.exclusive_maximum}`); }
    return parts.join(", ");
  }

  function fieldInput(rule, field) {
    let input;
    const current = rule.params[field.name];
    if (field.kind === "choice" || field.kind === "boolean") {
      input = document.createElement("select");
      const choices = field.kind === "boolean" ? ["true", "false"] : field.choices;
      input.appendChild(option("", `${labels.default}: ${field.default}`, current === undefined));
      choices.forEach((choice) => input.appendChild(option(choice, choice, String(current) === choice)));
    } else {
      input = document.createElement("input");
      input.type = field.kind === "list" ? "text" : "number";
      if (field.kind !== "list") {
        input.step = field.kind === "integer" ? "1" : "any";
        if (field.minimum !== null) { input.min = field.minimum; }
        if (field.maximum !== null) { input.max = field.maximum; }
      }
      input.required = field.required;
      input.value = current === undefined || current === null ? "" : (Array.isArray(current) ? current.join(", ") : current);
      const fallback = Array.isArray(field.default) ? field.default.join(", ") : field.default;
      input.placeholder = field.required ? labels.required : `${labels.default}: ${fallback === null ? "—" : fallback}`;
    }
    input.dataset.param = field.name;
    input.addEventListener("change", () => { rule.params[field.name] = parameter(field, input.value); });
    const name = labels.params[field.name] || field.name;
    return labelled(field.required ? `${name} *` : name, input, [field.name, bounds(field)].filter(Boolean).join(" · "));
  }

  function card(rule) {
    const form = forms.get(rule.type);
    const node = document.createElement("article");
    node.className = "rule card";
    node.dataset.type = rule.type;
    const head = document.createElement("div");
    head.className = "row";
    const title = document.createElement("strong");
    title.textContent = labels.types[rule.type] || rule.type;
    const id = document.createElement("input");
    id.value = rule.id;
    id.size = 14;
    id.dataset.ruleId = "";
    id.addEventListener("change", () => {
      const wanted = id.value.trim();
      const clash = rules.some((other) => other !== rule && other.id === wanted);
      const ok = editor.idPattern.test(wanted) && !clash;
      id.classList.toggle("invalid", !ok);
      id.title = ok ? "" : labels.bad_id;
      if (ok) { rule.id = wanted; editor.render(); }
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = labels.delete;
    remove.addEventListener("click", () => {
      rules.splice(rules.indexOf(rule), 1);
      editor.edits.dirty = true;
      render();
      editor.render();
    });
    head.append(title, labelled(labels.rule_id, id), remove);
    const main = document.createElement("div");
    main.className = "params";
    if (form.geometry === "line") {
      main.append(targetSelect(rule, "line", false), targetSelect(rule, "zone", true));
    } else {
      main.append(targetSelect(rule, "zone", false));
    }
    const more = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = labels.more_settings;
    const rest = document.createElement("div");
    rest.className = "params";
    more.append(summary, rest);
    form.fields.forEach((field) => (field.main ? main : rest).appendChild(fieldInput(rule, field)));
    node.append(head, main);
    if (rest.children.length) { node.appendChild(more); }
    return node;
  }

  function render() {
    holder.replaceChildren(...rules.map(card));
    if (rules.length === 0) {
      const empty = document.createElement("p");
      empty.className = "empty small";
      empty.textContent = labels.no_rules;
      holder.appendChild(empty);
    }
  }

  // Shapes renamed or removed in the editor: rules follow a rename and lose a removed shape
  // (a line crossing then counts in the whole picture; the others need a zone chosen).
  editor.onChange((event) => {
    if (event && event.renamed) {
      const { from, to, kind } = event.renamed;
      rules.forEach((rule) => { if (rule[kind] === from) { rule[kind] = to; } });
    }
    if (event && event.removed) {
      const { id, kind } = event.removed;
      rules.forEach((rule) => { if (rule[kind] === id) { rule[kind] = ""; } });
    }
    render();
  });

  document.getElementById("rule-add").addEventListener("click", () => addRule(chooser.value));
  // Any rule edit is an unsaved change until saved.
  holder.addEventListener("change", () => { editor.edits.dirty = true; });

  // --- preview and save ---
  const dialog = document.getElementById("preview-dialog");
  const summary = document.getElementById("preview-summary");
  const outcome = document.getElementById("save-outcome");

  window.gwZoneRules = {
    namesFor: (shape) => rules.filter((rule) => rule[shape.kind] === shape.id).map((rule) => rule.id),
  };

  function previewRows() {
    summary.replaceChildren();
    editor.state.shapes.forEach((shape) => {
      const row = document.createElement("tr");
      const watching = rules.filter((rule) => rule[shape.kind] === shape.id).map((rule) => `${rule.id} (${labels.types[rule.type] || rule.type})`);
      const name = shape.kind === "mask" ? labels[`mask_${shape.maskFor}`] : `${labels[shape.kind]} ${shape.id}`;
      const cells = [
        name,
        shape.points.map((p) => `(${editor.pxText(p)})`).join(" "),
        shape.points.map((p) => `(${p[0].toFixed(3)}, ${p[1].toFixed(3)})`).join(" "),
        watching.join(", ") || "—",
      ];
      cells.forEach((text) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      summary.appendChild(row);
    });
  }

  document.getElementById("preview-open").addEventListener("click", () => {
    editor.draw(document.getElementById("preview-overlay"), false);
    const picture = document.getElementById("zone-picture");
    const copy = document.getElementById("preview-picture");
    copy.hidden = !picture.naturalWidth;
    if (picture.naturalWidth) { copy.src = picture.src; }
    previewRows();
    document.getElementById("preview-json").textContent = JSON.stringify(config(), null, 1);
    outcome.hidden = true;
    dialog.showModal();
    document.getElementById("save-confirm").focus();
  });

  document.getElementById("save-confirm").addEventListener("click", async () => {
    const button = document.getElementById("save-confirm");
    button.disabled = true;
    const result = await window.gwPost(editor.data.save_url, { config: JSON.stringify(config()) });
    button.disabled = false;
    outcome.hidden = false;
    outcome.className = `banner ${result.ok ? "ok" : "error"}`;
    outcome.replaceChildren();
    const head = document.createElement("p");
    head.textContent = result.ok ? result.body.message : (result.body.detail || String(result.status));
    outcome.appendChild(head);
    (result.body.errors || []).forEach((error) => {
      const line = document.createElement("p");
      line.className = "small";
      line.textContent = error;
      outcome.appendChild(line);
    });
    if (result.ok) {
      editor.edits.dirty = false;
      showStatus(result.body);
      document.getElementById("zone-editor").dataset.saved = String(result.body.revision || "");
      watchStatus();
    }
  });

  // --- whether the edge runs it yet ---
  // Asked again this often while pending: an edge applies a config within 5 s.
  const STATUS_POLL_MS = 3000;
  let watching = null;

  function showStatus(body) {
    const status = document.getElementById("config-status");
    if (!status || !body.status_text) { return; }
    status.textContent = body.status_text;
    status.className = `config-status ${body.state}`;
  }

  function watchStatus() {
    clearTimeout(watching);
    watching = setTimeout(async () => {
      const response = await fetch(editor.data.status_url, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) { return; }
      const body = await response.json();
      showStatus(body);
      if (body.state === "pending") { watchStatus(); }
    }, STATUS_POLL_MS);
  }
  if (editor.data.state === "pending") { watchStatus(); }

  (editor.data.config.rules || []).forEach((stored) => {
    if (forms.has(stored.type)) { rules.push(ruleFrom(stored)); }
  });
  render();
  editor.render();
})();
