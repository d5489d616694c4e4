/* The exam page's keyboard shortcuts, the "skip to the question" link and the time read aloud (issue 21).
 *
 * Shortcuts are Alt + a letter, matched on the physical key (KeyboardEvent.code) so an input method or
 * a keyboard layout does not change them: Alt+N next, Alt+P previous, Alt+F flag, Alt+R review,
 * Alt+T time left, Alt+C calculator. Why Alt: bare letters are screen readers' quick-navigation keys
 * in browse mode (NVDA and JAWS: N, P, F, R, T, C all move somewhere), Ctrl+N/P/F/R/T are the browser's
 * (new window, print, find, reload, new tab), and Alt+Shift switches the input language on Windows,
 * which Chinese candidates use. Each shortcut presses the page's own button, so it does exactly what a
 * click does. The time alerts the candidate picks are kept in this browser's localStorage (a setting
 * of the candidate's, not of the attempt) and announced politely once each.
 */
(function () {
  "use strict";
  var root = document.getElementById("attempt");
  if (!root) { return; }
  var msg = root.dataset;

  function visibleQuestion() {
    var active = document.activeElement && document.activeElement.closest && document.activeElement.closest(".question");
    if (active && !active.hidden) { return active; }
    var cur = document.querySelector(".nav-q[aria-current='true']");
    return cur ? document.getElementById("question-" + cur.dataset.target) : document.querySelector(".question");
  }
  function press(id) {
    var b = document.getElementById(id);
    if (b && !b.disabled) { b.click(); }
  }

  /* ---------- the time, read on demand and at the chosen alerts ---------- */
  var said = document.getElementById("time-said");
  var announce = document.getElementById("announce");
  function timeLeftText() {
    var left = parseInt(document.getElementById("timer").dataset.left || "0", 10);
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    return h ? msg.msgTimeHm.replace("{h}", h).replace("{m}", m) : msg.msgTimeMs.replace("{m}", m).replace("{s}", s);
  }
  function sayTime() {
    // Emptied first, so the same words twice in a row are announced twice.
    said.textContent = "";
    setTimeout(function () { said.textContent = timeLeftText(); }, 50);
  }
  document.getElementById("say-time").addEventListener("click", sayTime);

  var ALERTS_KEY = "certexam-time-alerts";
  var alertBoxes = Array.prototype.slice.call(document.querySelectorAll("#time-alerts input[type=checkbox]"));
  (function restore() {
    try {
      var kept = JSON.parse(localStorage.getItem(ALERTS_KEY) || "null");
      if (Array.isArray(kept)) {
        alertBoxes.forEach(function (box) { box.checked = kept.indexOf(parseInt(box.value, 10)) >= 0; });
      }
    } catch (e) { /* unreadable: the page's defaults (10 and 1 minutes) */ }
  }());
  document.getElementById("time-alerts").addEventListener("change", function () {
    var chosen = alertBoxes.filter(function (b) { return b.checked; }).map(function (b) { return parseInt(b.value, 10); });
    try { localStorage.setItem(ALERTS_KEY, JSON.stringify(chosen)); } catch (e) { /* this page only */ }
  });
  var warned = {};
  var firstTick = null;
  root.addEventListener("attempt:tick", function (ev) {
    var left = ev.detail.left;
    if (firstTick === null) { firstTick = left; }
    alertBoxes.forEach(function (box) {
      var n = parseInt(box.value, 10);
      // Only a threshold crossed while the page is open: a reload at 4 minutes left does not announce "5 minutes".
      if (!box.checked || warned[n] || left > n * 60 || left <= 0 || firstTick <= n * 60 - 60) { return; }
      warned[n] = true;
      announce.textContent = n === 10 ? msg.msgWarn10 : n === 1 ? msg.msgWarn1 : msg.msgWarnN.replace("{n}", n);
    });
  });

  /* ---------- skip to the question ---------- */
  var skip = document.getElementById("skip-to-question");
  if (skip) {
    skip.addEventListener("click", function (ev) {
      var q = visibleQuestion();
      if (!q) { return; }
      ev.preventDefault();
      // The first answer control: the chosen radio of a group, else the first enabled one.
      // (answer controls carry data-kind; the flag box carries only data-slot).
      var target = q.querySelector("input[data-kind]:checked:not(:disabled)") ||
                   q.querySelector("input[data-kind]:not(:disabled), textarea[data-kind]:not(:disabled)");
      (target || q.querySelector("h2")).focus();
      q.scrollIntoView({block: "start"});
    });
  }

  /* ---------- the shortcuts ---------- */
  var ACTIONS = {
    KeyN: function () { press("next-q"); },
    KeyP: function () { press("prev-q"); },
    KeyR: function () { press("open-review"); },
    KeyT: sayTime,
    KeyC: function () { press("open-calc"); },
    KeyF: function () {
      var q = visibleQuestion();
      var box = q && q.querySelector(".flag-box");
      if (box && !box.disabled) { box.click(); }  // a click fires "change": saved like a mouse click
    }
  };
  function typesACharacter(ev) {
    // On a Mac, Option+N is the tilde dead key (Portuguese "não") and Option+letters type symbols: in a
    // text field such a key types, it is not a shortcut. Alt+N on Windows or Linux types nothing there.
    var el = ev.target;
    var editable = el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|search|number)$/.test(el.type)));
    return !!editable && (ev.key === "Dead" || (ev.key.length === 1 && ev.key.toLowerCase() !== ev.code.slice(3).toLowerCase()));
  }
  document.addEventListener("keydown", function (ev) {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.isComposing) { return; }
    var act = ACTIONS[ev.code];
    if (!act || typesACharacter(ev)) { return; }
    ev.preventDefault();  // Alt+F would open the browser's menu in some browsers
    act();
  });
}());
