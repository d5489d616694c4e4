/* The proctor view: refresh the live table every 15 s by fetching its fragment.
 *
 * A refresh never destroys what the proctor is doing: it waits while an
 * action panel is open or a reason has been typed.
 */
(function () {
  "use strict";
  var live = document.getElementById("live");
  var toggle = document.getElementById("auto-refresh");
  var note = document.getElementById("refreshed");
  if (!live || !toggle) { return; }
  var EVERY_MS = 15000;

  function busy() {
    if (live.querySelector("details[open]")) { return true; }
    return Array.prototype.some.call(live.querySelectorAll("input[name=reason]"), function (el) {
      return el.value !== "";
    });
  }

  function stamp() {
    var d = new Date();
    var t = [d.getHours(), d.getMinutes(), d.getSeconds()].map(function (n) {
      return String(n).padStart(2, "0");
    }).join(":");
    note.textContent = live.dataset.msgRefreshed.replace("{t}", t);
  }

  function refresh() {
    if (!toggle.checked || document.hidden || busy()) { return; }
    fetch(live.dataset.url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (resp) {
        // Signed out or refused: the fetch followed a redirect to another page; keep the table as it is.
        if (!resp.ok || resp.headers.get("X-Fragment") !== "proctor-live") { throw new Error(String(resp.status)); }
        return resp.text();
      })
      .then(function (html) {
        if (busy()) { return; }
        live.innerHTML = html;  // the server's own escaped template fragment
        stamp();
      })
      .catch(function () { note.textContent = live.dataset.msgFailed; });
  }

  setInterval(refresh, EVERY_MS);
})();
