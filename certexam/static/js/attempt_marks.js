/* Strike-out per option and highlights in the question text (issue 21).
 *
 * Both are the candidate's own marks, not answers: they never touch an input and are never sent. They
 * are kept per attempt in this browser's localStorage ("certexam-marks-<attempt>"), so they survive a
 * reload and a crash on this device, like the unsent answers and the view; on another device the paper
 * opens without them (keeping them on the server would cost a write per mark for no score).
 * A highlight is kept as character offsets into its text's textContent, which the page renders the same
 * way every time: offsets stay right after a reload.
 */
(function () {
  "use strict";
  var root = document.getElementById("attempt");
  if (!root) { return; }
  var KEY = "certexam-marks-" + root.dataset.attempt;
  var marks = (function () {
    try {
      var m = JSON.parse(localStorage.getItem(KEY) || "{}");
      if (m && typeof m === "object" && !Array.isArray(m)) {
        return {struck: (m.struck && typeof m.struck === "object") ? m.struck : {},
                hl: (m.hl && typeof m.hl === "object") ? m.hl : {}};
      }
    } catch (e) { /* unreadable: start afresh */ }
    return {struck: {}, hl: {}};
  }());
  function keep() {
    try { localStorage.setItem(KEY, JSON.stringify(marks)); } catch (e) { /* storage full or off: this page only */ }
  }

  /* ---------- strike-out ---------- */
  function setStruck(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.closest(".item-option").classList.toggle("struck", on);
  }
  document.querySelectorAll("#questions .strike").forEach(function (b) {
    if (marks.struck[b.dataset.strike]) { setStruck(b, true); }
  });

  /* ---------- highlights ---------- */
  // The texts a candidate may highlight: stems and cases, one per language shown.
  function textsOf(question) {
    var out = [];
    question.querySelectorAll(".item-stem, .item-case-text").forEach(function (box, i) {
      var langs = box.querySelectorAll(":scope > .lang-text");
      if (!langs.length) { out.push({key: question.id + ":" + i, el: box}); return; }
      langs.forEach(function (el) { out.push({key: question.id + ":" + i + ":" + el.dataset.lang, el: el}); });
    });
    return out;
  }
  function wrap(el, start, end) {
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    var pos = 0, node, parts = [];
    while ((node = walker.nextNode())) {
      var len = node.nodeValue.length;
      var s = Math.max(start, pos), e = Math.min(end, pos + len);
      if (s < e) { parts.push({node: node, s: s - pos, e: e - pos}); }
      pos += len;
    }
    parts.forEach(function (p) {
      var mid = p.node.splitText(p.s);
      mid.splitText(p.e - p.s);
      var mark = document.createElement("mark");
      mark.className = "hl";
      mid.parentNode.replaceChild(mark, mid);
      mark.appendChild(mid);
    });
  }
  function offsetIn(el, container, offset) {
    var r = document.createRange();
    r.selectNodeContents(el);
    r.setEnd(container, offset);
    return r.toString().length;
  }
  function highlightSelection(question) {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) { return false; }
    var range = sel.getRangeAt(0);
    var done = false;
    textsOf(question).forEach(function (t) {
      if (!range.intersectsNode(t.el) || t.el.hidden) { return; }
      var total = t.el.textContent.length;
      var start = t.el.contains(range.startContainer) ? offsetIn(t.el, range.startContainer, range.startOffset) : 0;
      var end = t.el.contains(range.endContainer) ? offsetIn(t.el, range.endContainer, range.endOffset) : total;
      if (end <= start) { return; }
      (marks.hl[t.key] = marks.hl[t.key] || []).push([start, end]);
      wrap(t.el, start, end);
      done = true;
    });
    if (done) { sel.removeAllRanges(); keep(); }
    return done;
  }
  function clearHighlights(question) {
    textsOf(question).forEach(function (t) {
      delete marks.hl[t.key];
      t.el.querySelectorAll("mark.hl").forEach(function (m) {
        var parent = m.parentNode;
        while (m.firstChild) { parent.insertBefore(m.firstChild, m); }
        parent.removeChild(m);
        parent.normalize();
      });
    });
    keep();
  }
  document.querySelectorAll("#questions .question").forEach(function (q) {
    textsOf(q).forEach(function (t) {
      (marks.hl[t.key] || []).forEach(function (r) {
        if (Array.isArray(r) && r.length === 2) { wrap(t.el, r[0], r[1]); }
      });
    });
  });

  var questionsEl = document.getElementById("questions");
  // Pressing the button must not take the selection away before the click reads it.
  questionsEl.addEventListener("mousedown", function (ev) {
    if (ev.target.closest(".hl-add")) { ev.preventDefault(); }
  });
  questionsEl.addEventListener("click", function (ev) {
    var strike = ev.target.closest(".strike");
    if (strike) {
      var on = strike.getAttribute("aria-pressed") !== "true";
      setStruck(strike, on);
      if (on) { marks.struck[strike.dataset.strike] = true; } else { delete marks.struck[strike.dataset.strike]; }
      keep();
      return;
    }
    var add = ev.target.closest(".hl-add");
    if (add) { highlightSelection(document.getElementById("question-" + add.dataset.question)); return; }
    var clear = ev.target.closest(".hl-clear");
    if (clear) { clearHighlights(document.getElementById("question-" + clear.dataset.question)); }
  });
  // A finished paper leaves nothing behind (attempt.js clears its own keys the same way).
  window.addEventListener("pagehide", function () {
    if (!document.body.contains(root) || root.dataset.done === "true") {
      try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
    }
  });
}());
