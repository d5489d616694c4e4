/* The on-screen calculator (issue 21): four functions, percent, sign and memory, shown when the paper's
 * blueprint enables it. Like a pocket calculator it works left to right (2 + 3 × 4 = 20). Results are
 * rounded to 12 significant digits so 0.1 + 0.2 shows 0.3. It keeps nothing and sends nothing: it is
 * not part of the answers. Every key is a button; with focus in the panel the keyboard works too.
 */
(function () {
  "use strict";
  var panel = document.getElementById("calculator");
  var opener = document.getElementById("open-calc");
  if (!panel || !opener) { return; }
  var display = document.getElementById("calc-display");
  var memEl = document.getElementById("calc-mem");
  var MAX_DIGITS = 14;

  var entry = "0";      // what is shown
  var acc = null;       // the left operand waiting for an operator's right one
  var op = null;        // "+", "-", "*", "/"
  var fresh = true;     // the next digit starts a new number
  var memory = 0;
  var failed = false;   // division by zero or overflow: only C (or a digit) goes on

  function tidy(x) {
    if (!isFinite(x) || Math.abs(x) >= 1e15) { return null; }
    var r = parseFloat(x.toPrecision(12));
    return Object.is(r, -0) ? 0 : r;
  }
  function text(x) { return String(x); }
  function value() { return parseFloat(entry); }
  function show() {
    display.textContent = failed ? panel.dataset.msgError : entry;
    memEl.hidden = memory === 0;
    memEl.title = panel.dataset.msgMemory.replace("{v}", text(memory));
  }
  function fail() { failed = true; acc = null; op = null; fresh = true; entry = "0"; }
  function apply(a, o, b) {
    if (o === "+") { return tidy(a + b); }
    if (o === "-") { return tidy(a - b); }
    if (o === "*") { return tidy(a * b); }
    if (o === "/") { return b === 0 ? null : tidy(a / b); }
    return tidy(b);
  }
  function settle() {
    if (op === null || acc === null) { return true; }
    var r = apply(acc, op, value());
    if (r === null) { fail(); return false; }
    entry = text(r);
    acc = null; op = null;
    return true;
  }

  function key(k) {
    if (failed && k !== "C" && !/^[0-9.]$/.test(k)) { return; }
    if (failed) { failed = false; }
    if (/^[0-9]$/.test(k)) {
      if (fresh) { entry = k; fresh = false; }
      else if (entry.replace(/[-.]/g, "").length < MAX_DIGITS) { entry = entry === "0" ? k : entry + k; }
    } else if (k === ".") {
      if (fresh) { entry = "0."; fresh = false; }
      else if (entry.indexOf(".") < 0) { entry += "."; }
    } else if (k === "back") {
      if (!fresh) { entry = entry.length > 1 && entry !== "-0" ? entry.slice(0, -1) : "0"; if (entry === "-") { entry = "0"; } }
    } else if (k === "C") {
      entry = "0"; acc = null; op = null; fresh = true;
    } else if (k === "neg") {
      entry = entry.charAt(0) === "-" ? entry.slice(1) : (entry === "0" ? "0" : "-" + entry);
    } else if (k === "%") {
      // 200 + 5 % = 210 (a share of the left operand for + and -); otherwise a hundredth: 5 % = 0.05.
      var v = value();
      var r = (acc !== null && (op === "+" || op === "-")) ? tidy(acc * v / 100) : tidy(v / 100);
      if (r === null) { fail(); } else { entry = text(r); fresh = true; }
    } else if (k === "+" || k === "-" || k === "*" || k === "/") {
      if (!fresh || acc === null) { if (!settle()) { show(); return; } }
      acc = value(); op = k; fresh = true;
    } else if (k === "=") {
      settle(); fresh = true;
    } else if (k === "MC") { memory = 0; }
    else if (k === "MR") { entry = text(memory); fresh = true; }
    else if (k === "M+" || k === "M-") {
      var m = tidy(k === "M+" ? memory + value() : memory - value());
      if (m === null) { fail(); } else { memory = m; fresh = true; }
    }
    show();
  }

  panel.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-calc]");
    if (b) { key(b.dataset.calc); }
  });
  var KEYS = {"Enter": "=", "=": "=", "Backspace": "back", "Delete": "C", "c": "C", "C": "C",
              "+": "+", "-": "-", "*": "*", "x": "*", "/": "/", "%": "%", ".": ".", ",": "."};
  panel.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    if (ev.key === "Escape") { ev.preventDefault(); toggle(false); return; }
    var k = /^[0-9]$/.test(ev.key) ? ev.key : KEYS[ev.key];
    // Enter on a focused key button presses that button; elsewhere in the panel it means "=".
    if (!k || (ev.key === "Enter" && ev.target.closest("button"))) { return; }
    ev.preventDefault();
    key(k);
  });

  function toggle(open) {
    panel.hidden = !open;
    opener.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { panel.querySelector("[data-calc='7']").focus(); } else { opener.focus(); }
  }
  opener.addEventListener("click", function () { toggle(panel.hidden); });
  document.getElementById("calc-close").addEventListener("click", function () { toggle(false); });
  show();
}());
