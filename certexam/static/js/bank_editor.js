/* Question-bank editor: live preview of the YAML source, and "Line N" buttons that select that line.
   Loaded with <script src defer> (the CSP forbids inline script). Without JavaScript the page still works:
   the "Update the preview" button posts the text and the server renders the preview. */
(function () {
  "use strict";
  var DELAY_MS = 400; // wait for a pause in typing before asking the server
  var form = document.getElementById("editor-form");
  var source = form && form.querySelector("textarea[name=text]");
  var preview = document.getElementById("item-preview");
  var status = document.getElementById("preview-status");
  if (!form || !source || !preview) { return; }

  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  var inFlight = null;
  var lastSent = null;

  var noJsButton = form.querySelector("[data-nojs]");
  if (noJsButton) { noJsButton.hidden = true; } // the preview follows the typing instead

  function say(text) { if (status) { status.textContent = text; } }

  function refresh() {
    var text = source.value;
    if (text === lastSent) { return; }
    lastSent = text;
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    var body = new URLSearchParams();
    body.set("text", text);
    fetch(preview.getAttribute("data-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      signal: inFlight.signal,
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "text/html" }
    }).then(function (resp) {
      if (!resp.ok) { throw new Error(String(resp.status)); }
      return resp.text();
    }).then(function (html) {
      // The fragment is rendered by the server from sanitised item text.
      preview.innerHTML = html;
      var failed = preview.querySelector("[data-errors]");
      say(failed ? preview.querySelector(".preview-errors .error").textContent : (status.getAttribute("data-ok") || ""));
      preview.setAttribute("data-state", failed ? "errors" : "ok");
    }).catch(function (err) {
      if (err && err.name === "AbortError") { return; }
      lastSent = null; // try again on the next change
      say(status.getAttribute("data-failed") || "");
      preview.setAttribute("data-state", "failed");
    });
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  });
  lastSent = source.value; // the server rendered the preview of the initial text

  function selectLine(n) {
    var lines = source.value.split("\n");
    var start = 0;
    for (var i = 0; i < n - 1 && i < lines.length; i += 1) { start += lines[i].length + 1; }
    var end = start + (lines[n - 1] || "").length;
    source.focus();
    source.setSelectionRange(start, end);
    var lineHeight = parseFloat(window.getComputedStyle(source).lineHeight) || 20;
    source.scrollTop = Math.max(0, (n - 3) * lineHeight);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-line]") : null;
    if (button) { selectLine(parseInt(button.getAttribute("data-line"), 10)); }
  });
}());
