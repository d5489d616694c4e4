/* Form-based item editor (issue 22): the preview follows the typing, as in the YAML editor.
   Loaded with <script src defer> (the CSP forbids inline script). It posts the form as the "Update the
   preview" button would and takes the preview from the page the server answers; without JavaScript the
   button does the same. */
(function () {
  "use strict";
  var DELAY_MS = 500; // wait for a pause in typing before asking the server
  var form = document.getElementById("item-form");
  var preview = document.getElementById("item-preview");
  var status = document.getElementById("preview-status");
  if (!form || !preview || !window.fetch || !window.DOMParser) { return; }

  var timer = null;
  var inFlight = null;

  function say(text) { if (status) { status.textContent = text; } }

  function refresh() {
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    var body = new FormData(form);
    body.set("preview", "1");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      signal: inFlight.signal,
      headers: { "Accept": "text/html" }
    }).then(function (resp) {
      if (!resp.ok) { throw new Error(String(resp.status)); }
      return resp.text();
    }).then(function (html) {
      // The page is rendered by the server from sanitised item text; only its preview is taken.
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("item-preview");
      if (!fresh) { throw new Error("no preview"); }
      preview.innerHTML = fresh.innerHTML;
      var failed = preview.querySelector("[data-errors]");
      say(failed ? preview.querySelector(".preview-errors .error").textContent : (status && status.getAttribute("data-ok")) || "");
      preview.setAttribute("data-state", failed ? "errors" : "ok");
    }).catch(function (err) {
      if (err && err.name === "AbortError") { return; }
      say((status && status.getAttribute("data-failed")) || "");
      preview.setAttribute("data-state", "failed");
    });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later); // radios, checkboxes and selects
}());
