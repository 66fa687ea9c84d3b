// gridwatch console: shared behaviour of every page (no inline scripts: CSP script-src 'self').
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRF-Token"] = csrf;
  });
  // A POST from a console script: form-encoded fields, the CSRF header, JSON back.
  window.gwPost = async function (url, fields) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: new URLSearchParams(fields || {}),
      credentials: "same-origin",
    });
    let body = {};
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401 && body.login) { window.location = body.login; }
    return { ok: response.ok, status: response.status, body: body };
  };
  // A form that deletes something asks first (its button's title says what).
  document.addEventListener("submit", (event) => {
    if (event.target.matches("form.delete") && !window.confirm(event.submitter ? event.submitter.textContent + "?" : "?")) {
      event.preventDefault();
    }
  });
  const print = document.getElementById("print");
  if (print) { print.addEventListener("click", () => window.print()); }
})();
