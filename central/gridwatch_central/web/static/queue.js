// The alert queue: live cards over SSE, and one key per decision so a queue is cleared
// without the mouse. J/K or arrows select, V verify, F false alarm (reason, Enter), D duplicate,
// Enter shows the clean image, P plays the evidence clip, Esc closes. Merged alerts update
// the card's count and latest time in place.
"use strict";
(function () {
  const queue = document.getElementById("queue");
  if (!queue) { return; }
  const empty = document.getElementById("queue-empty");
  const counter = document.getElementById("pending-count");
  const toast = document.getElementById("toast");
  const live = document.getElementById("live");
  const dialog = document.getElementById("viewer-dialog");
  const dialogImage = document.getElementById("viewer-image");
  const dialogVideo = document.getElementById("viewer-video");
  let selected = null;

  const cards = () => Array.from(queue.querySelectorAll("article.incident"));

  function select(card) {
    if (selected) { selected.classList.remove("selected"); }
    selected = card || null;
    if (selected) {
      selected.classList.add("selected");
      selected.focus({ preventScroll: true });
      selected.scrollIntoView({ block: "nearest" });
    }
  }

  function refreshCount(delta) {
    const value = Math.max(0, parseInt(counter.textContent, 10) + delta);
    counter.textContent = String(value);
    empty.hidden = cards().length > 0;
  }

  function say(text, bad) {
    toast.textContent = text;
    toast.classList.toggle("bad", !!bad);
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.hidden = true; }, 2500);
  }

  function removeCard(card) {
    const list = cards();
    const index = list.indexOf(card);
    const next = list[index + 1] || list[index - 1] || null;
    card.remove();
    refreshCount(-1);
    if (selected === card || !selected) { select(next); }
    if (cards().length === 0 && parseInt(queue.dataset.more || "0", 10) > 0) { reload(); }
  }

  async function decide(card, action, fields) {
    if (!card || !(card.dataset.actions || "").split(" ").includes(action)) { return; }
    card.classList.add("busy");
    const result = await window.gwPost(`/console/incidents/${card.dataset.id}/${action}`, fields);
    card.classList.remove("busy");
    if (result.ok) {
      say(result.body.message + (result.body.case_id ? ` · #${result.body.case_id}` : ""));
      removeCard(card);
    } else {
      say(result.body.detail || String(result.status), true);
      if (result.status === 409 || result.status === 404) { removeCard(card); }
    }
  }

  function openReason(card, kind) {
    const form = card.querySelector("form.reason");
    form.hidden = false;
    form.dataset.kind = kind;
    form.classList.toggle("for-duplicate", kind === "duplicate");
    const input = form.querySelector(kind === "duplicate" ? "input[name=duplicate_of]" : "input[name=reason]");
    input.focus();
    input.select();
  }

  function closeReason(card) {
    const form = card && card.querySelector("form.reason");
    if (form && !form.hidden) { form.hidden = true; card.focus(); return true; }
    return false;
  }

  function reject(card) { if (card) { openReason(card, "reject"); } }

  function duplicate(card) {
    if (!card) { return; }
    if (card.dataset.duplicateOf) { decide(card, "duplicate", { duplicate_of: card.dataset.duplicateOf }); }
    else { openReason(card, "duplicate"); }
  }

  function showClean(card) {
    const image = card && card.querySelector(".shot img");
    if (!image) { return; }
    dialogVideo.hidden = true;
    dialogImage.hidden = false;
    dialogImage.src = image.dataset.clean;
    dialog.showModal();
  }

  function playClip(card) {
    const button = card && card.querySelector("button.clip.stored");
    if (!button) { return; }
    dialogImage.hidden = true;
    dialogVideo.hidden = false;
    dialogVideo.src = button.dataset.video;
    dialog.showModal();
    dialogVideo.play().catch(() => { /* autoplay refused: the controls are there */ });
  }

  dialog.addEventListener("close", () => {
    dialogVideo.pause();
    dialogVideo.removeAttribute("src");
    dialogVideo.load();
  });

  queue.addEventListener("click", (event) => {
    const card = event.target.closest("article.incident");
    if (!card) { return; }
    select(card);
    const button = event.target.closest("button[data-do]");
    if (button) {
      const action = button.dataset.do;
      if (action === "verify") { decide(card, "verify"); }
      if (action === "reject") { reject(card); }
      if (action === "duplicate") { duplicate(card); }
      return;
    }
    if (event.target.closest("button.clip.stored")) { playClip(card); return; }
    if (event.target.matches(".shot img")) { showClean(card); }
  });

  queue.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const card = form.closest("article.incident");
    form.hidden = true;
    if (form.dataset.kind === "duplicate") {
      decide(card, "duplicate", { duplicate_of: form.duplicate_of.value });
    } else {
      decide(card, "reject", { reason: form.reason.value });
    }
  });

  document.addEventListener("keydown", (event) => {
    if (dialog.open) { return; }
    const typing = event.target.matches("input, textarea, select");
    if (event.key === "Escape") { closeReason(selected); return; }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const list = cards();
    const index = list.indexOf(selected);
    const keys = {
      j: () => select(list[Math.min(index + 1, list.length - 1)]),
      ArrowDown: () => select(list[Math.min(index + 1, list.length - 1)]),
      k: () => select(list[Math.max(index - 1, 0)]),
      ArrowUp: () => select(list[Math.max(index - 1, 0)]),
      v: () => decide(selected, "verify"),
      f: () => reject(selected),
      d: () => duplicate(selected),
      Enter: () => showClean(selected),
      p: () => playClip(selected),
    };
    const run = keys[event.key] || keys[event.key.toLowerCase()];
    if (run) { event.preventDefault(); run(); }
  });

  async function addCards(ids) {
    const fresh = ids.filter((id) => !document.getElementById(`incident-${id}`));
    if (fresh.length === 0) { return; }
    const response = await fetch(`/console/queue/cards?ids=${fresh.join(",")}`, { credentials: "same-origin" });
    if (!response.ok) { return; }
    const holder = document.createElement("div");
    holder.innerHTML = await response.text();
    const arrived = Array.from(holder.querySelectorAll("article.incident"));
    for (const card of arrived.reverse()) {
      if (document.getElementById(card.id)) { continue; }
      card.classList.add("arrived");
      queue.prepend(card);
      if (window.htmx) { window.htmx.process(card); }  // a pending clip's badge polls
      refreshCount(+1);
    }
    if (!selected) { select(cards()[0]); }
  }

  async function reload() {
    const response = await fetch("/console/queue/cards", { credentials: "same-origin" });
    if (!response.ok) { return; }
    queue.innerHTML = await response.text();
    if (window.htmx) { window.htmx.process(queue); }
    queue.dataset.more = "0";
    select(cards()[0]);
    empty.hidden = cards().length > 0;
  }

  // More alerts merged into a card's incident (its count, latest time, best picture change),
  // or a sensor alarm's linked camera answered (its picture, or why none): the card is
  // updated in place, so its selection and an open reason form stay as they are.
  async function refreshCard(id) {
    const card = document.getElementById(`incident-${id}`);
    if (!card) { return; }
    const response = await fetch(`/console/queue/cards?ids=${id}`, { credentials: "same-origin" });
    if (!response.ok) { return; }
    const holder = document.createElement("div");
    holder.innerHTML = await response.text();
    const fresh = holder.querySelector("article.incident");
    if (!fresh) { return; }
    const shot = card.querySelector(".shot");
    const freshShot = fresh.querySelector(".shot");
    if (shot && freshShot && shot.innerHTML !== freshShot.innerHTML) {
      shot.replaceWith(freshShot);
      if (window.htmx) { window.htmx.process(freshShot); }
    }
    for (const part of ["dd.merged", "dd.latest", "dd.reading"]) {
      const now = card.querySelector(part);
      const next = fresh.querySelector(part);
      if (now && next && now.textContent !== next.textContent) {
        now.textContent = next.textContent;
        now.classList.remove("changed");
        void now.offsetWidth;  // restart the highlight
        now.classList.add("changed");
      }
    }
  }

  function listen() {
    const source = new EventSource(`/console/events?after=${queue.dataset.position}`);
    source.addEventListener("open", () => { live.classList.remove("off"); live.textContent = live.dataset.on; });
    source.addEventListener("error", () => {
      live.classList.add("off");
      live.textContent = live.dataset.off;
      // Closed for good (the session expired, or central refused): reload, which leads to
      // the login page if that is the reason. Otherwise the browser reconnects by itself.
      if (source.readyState === EventSource.CLOSED) { setTimeout(() => window.location.reload(), 5000); }
    });
    source.addEventListener("reload", () => reload());
    source.addEventListener("incident", (event) => {
      const change = JSON.parse(event.data);
      if (change.action === "opened") { addCards([change.id]); return; }
      if (change.action === "merged" || change.action === "evidence") { refreshCard(change.id); return; }
      const card = document.getElementById(`incident-${change.id}`);
      if (card) { removeCard(card); }
    });
  }

  select(cards()[0]);
  listen();
})();
