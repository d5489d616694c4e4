/* The exam page: autosave with an offline queue, one device at a time, the server's clock.
 *
 * Every change is queued with a rising sequence number, kept in localStorage
 * (so a crash loses nothing unsent) and sent in order; the server stores it
 * before it answers, and ignores stale or duplicate sends. The clock shows the
 * time the server reports, resynced every 30 s; it never trusts the client's
 * wall clock (only a monotonic timer between resyncs). A proctor's pause, extra
 * time or end arrives within about a second through the push channel, a long
 * poll of /push (issue 18.6); while paused, changes wait in the queue.
 */
(function () {
  "use strict";
  var root = document.getElementById("attempt");
  if (!root) { return; }
  var api = root.dataset.api;
  var csrf = root.dataset.csrf;
  var storeKey = "certexam-queue-" + root.dataset.attempt;
  var device = null;
  var seq = parseInt(root.dataset.lastSeq, 10) || 0;
  var queue = loadQueue();          // [{slot, kind, answer, flagged, seq}]
  var sending = false;
  var stopped = false;              // taken over or closed: no more saves
  var offline = false;
  var retryDelay = 1000;
  var deadlineMono = performance.now() + (parseInt(root.dataset.remaining, 10) || 0) * 1000;
  var pausedLeft = null;            // while paused, the server's frozen remaining seconds
  var paused = root.dataset.paused === "true";  // paused by the proctor: changes are queued, not sent
  if (paused) { pausedLeft = parseInt(root.dataset.remaining, 10) || 0; }
  var msg = root.dataset;

  function loadQueue() {
    try {
      var q = JSON.parse(localStorage.getItem(storeKey) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) { return []; }
  }
  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(queue)); } catch (e) { /* storage full: the queue still lives in memory */ }
  }
  queue.forEach(function (q) { if (q.seq > seq) { seq = q.seq; } });

  function headers(extra) {
    var h = {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"};
    if (device) { h["X-Attempt-Device"] = device; }
    return Object.assign(h, extra || {});
  }
  function request(method, path, body) {
    return fetch(api + path, {method: method, headers: headers(), credentials: "same-origin",
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          return {status: resp.status, data: data};
        });
      });
  }

  /* ---------- status line ---------- */
  var statusEl = document.getElementById("save-status");
  var lastStatus = "";
  function showStatus() {
    var text;
    if (stopped) { return; }
    if (paused) { text = msg.msgPausedQueue.replace("{n}", String(queue.length)); }
    else if (offline && queue.length) { text = msg.msgOffline.replace("{n}", String(queue.length)); }
    else if (queue.length || sending) { text = msg.msgSaving; }
    else { text = msg.msgSaved; }
    if (text !== lastStatus) { statusEl.textContent = text; lastStatus = text; }
    statusEl.classList.toggle("pending", queue.length > 0);
    statusEl.classList.toggle("offline", offline);
    statusEl.classList.toggle("paused", paused);
  }
  var banner = document.getElementById("banner");
  function showBanner(text, kind) {
    banner.textContent = text;
    banner.className = "banner " + (kind || "");
    banner.hidden = false;
  }

  /* ---------- what the server holds ---------- */
  // The navigator and the review screen count what the server has acknowledged, never what the inputs
  // show (issue 18.2): the page starts from the server's list of answered slots, each acknowledged save
  // updates its slot, and every clock resync replaces the list with the server's.
  var held = {};                    // slot -> true when the server holds an answer there
  var acks = 0;                     // acknowledged saves so far (a resync answered before one is stale)
  JSON.parse(root.dataset.answered || "[]").forEach(function (s) { held[s] = true; });
  // Python's str.isspace() characters: the server's test (autosave._answered) strips exactly these.
  var BLANK = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;
  function holdsAnswer(answer) {
    if (typeof answer === "string") { return !BLANK.test(answer); }
    return answer !== null && answer !== undefined && !(Array.isArray(answer) && !answer.length);
  }
  function waiting(slot) { return queue.some(function (q) { return q.slot === slot; }); }

  /* ---------- saving ---------- */
  function enqueue(slot, kind, answer, flagged) {
    if (stopped) { return; }
    seq += 1;
    // A newer change to the same slot replaces the unsent older one.
    queue = queue.filter(function (q) { return q.slot !== slot; });
    queue.push({slot: slot, kind: kind, answer: answer, flagged: flagged, seq: seq});
    persist();
    showStatus();
    flush();
  }

  function flush() {
    // Paused: nothing is sent (the server would refuse it); the queue goes out when the proctor resumes.
    if (sending || stopped || paused || !device || !queue.length) { showStatus(); return; }
    sending = true;
    var item = queue[0];
    var path = "/answers/" + encodeURIComponent(item.slot);
    request("PUT", path, {seq: item.seq, answer: item.answer, flagged: item.flagged, device: device})
      .then(function (r) {
        sending = false;
        if (r.status === 200) {
          queue = queue.filter(function (q) { return !(q.slot === item.slot && q.seq <= item.seq); });
          persist();
          if (offline) { offline = false; report("reconnect"); }
          retryDelay = 1000;
          if (r.data.result !== "stale") { held[item.slot] = holdsAnswer(item.answer); }  // now the server's
          acks += 1;
          updateNav();
          flush();
        } else if (r.status === 409 && r.data.code === "taken_over") {
          stop(msg.msgTaken, "warn");
        } else if (r.status === 409 && r.data.code === "paused") {
          setPaused(true);  // kept in the queue; sent when the push channel (or a resync) says resumed
          resync();  // freeze the clock at the server's time now
        } else if (r.status === 409 && r.data.code === "closed") {
          finishAndLeave(r.data.error || msg.msgClosed);
        } else if (r.status === 400 || r.status === 404 || (r.status === 409 && r.data.code === "choice_limit")) {
          // The server refused this answer for good; drop it and say so.
          queue.shift();
          persist();
          showBanner(msg.msgError.replace("{why}", r.data.error || String(r.status)), "error");
          updateNav();
          flush();
        } else {
          retryLater();
        }
        showStatus();
      })
      .catch(function () { sending = false; retryLater(); });
  }

  function retryLater() {
    if (!offline) { offline = true; report("offline"); }
    showStatus();
    setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }
  window.addEventListener("online", function () { retryDelay = 1000; flush(); });

  function stop(text, kind) {
    stopped = true;
    showBanner(text, kind);
    statusEl.textContent = "";
    document.querySelectorAll("#questions input, #questions textarea, #questions select").forEach(function (el) {
      el.disabled = true;
    });
  }
  function finishAndLeave(text) {
    root.dataset.done = "true";  // attempt_marks.js forgets this attempt's marks as the page goes
    try { localStorage.removeItem(storeKey); localStorage.removeItem(viewKey); } catch (e) { /* ignore */ }
    queue = [];
    stop(text, "info");
    setTimeout(function () { window.location.assign(root.dataset.finishedUrl); }, 2500);
  }

  window.addEventListener("beforeunload", function (ev) {
    if (queue.length && !stopped) { ev.preventDefault(); ev.returnValue = msg.msgUnsaved; return msg.msgUnsaved; }
    return undefined;
  });

  function report(kind, detail) {
    if (!device || stopped) { return; }
    request("POST", "/events", {kind: kind, detail: detail || {}}).catch(function () { /* best effort */ });
  }

  /* ---------- reading answers from the page ---------- */
  // The one reading of a slot's answer, for every item kind. A slot's inputs share the name "q<slot>"
  // and only form controls carry a name: a question's <section> or its flag box is never read as an
  // answer (issue 18.1: a flag re-sent the section's missing "value" as an empty answer).
  function answerOf(slot) {
    var inputs = document.getElementsByName("q" + slot);
    if (!inputs.length) { return {kind: null, answer: null}; }
    var kind = inputs[0].dataset.kind;
    if (kind === "constructed") { return {kind: kind, answer: inputs[0].value}; }
    var chosen = [];
    Array.prototype.forEach.call(inputs, function (i) { if (i.checked) { chosen.push(i.value); } });
    if (kind === "multiple_response") { return {kind: kind, answer: chosen.length ? chosen : null}; }
    if (!chosen.length) { return {kind: kind, answer: null}; }
    return {kind: kind, answer: kind === "true_false" ? chosen[0] === "true" : chosen[0]};
  }
  // A question's flag lives on its first slot (an item set's first child): the server keeps flags per slot.
  function flagBoxOf(slot) {
    return document.querySelector('.flag-box[data-question="' + slot.split(".")[0] + '"]');
  }
  function isFlagged(slot) {
    var box = flagBoxOf(slot);
    return !!(box && box.checked && box.dataset.slot === slot);
  }
  function questionFlagged(q) {
    var box = q.querySelector(".flag-box");
    return !!(box && box.checked);
  }
  function save(slot) {
    var a = answerOf(slot);
    if (a.kind !== null) { enqueue(slot, a.kind, a.answer, isFlagged(slot)); }
    updateNav();
  }

  var textTimers = {};
  document.getElementById("questions").addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.classList.contains("item-lang-select")) { switchLanguage(el.dataset.question, el.value, true); return; }
    if (el.classList.contains("flag-box")) { save(el.dataset.slot); return; }
    if (el.name && el.dataset.slot && el.dataset.kind !== "constructed") { save(el.dataset.slot); }
  });
  document.getElementById("questions").addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.name && el.dataset.kind === "constructed") {
      var slot = el.dataset.slot;
      var group = el.closest(".question").dataset.atMostGroup;
      if (group && el.value && !withinAtMost(el, parseInt(group, 10))) {
        el.value = "";
        showBanner(msg.msgAtMost.replace("{n}", group), "warn");
        return;
      }
      clearTimeout(textTimers[slot]);
      // Text is saved after a short pause in typing, and at once when the field loses focus.
      textTimers[slot] = setTimeout(function () { delete textTimers[slot]; save(slot); }, 800);
    }
  });
  document.getElementById("questions").addEventListener("focusout", function (ev) {
    var el = ev.target;
    if (el.name && el.dataset.kind === "constructed" && textTimers[el.dataset.slot]) {
      clearTimeout(textTimers[el.dataset.slot]);
      delete textTimers[el.dataset.slot];
      save(el.dataset.slot);
    }
  });
  document.getElementById("questions").addEventListener("paste", function (ev) {
    if (ev.target.dataset && ev.target.dataset.slot) { report("paste", {slot: ev.target.dataset.slot}); }
  });

  function withinAtMost(el, limit) {
    var others = 0;
    document.querySelectorAll('.question[data-at-most-group] textarea').forEach(function (t) {
      if (t !== el && t.value.trim()) { others += 1; }
    });
    return others < limit;
  }

  function switchLanguage(question, code, remember) {
    var q = document.getElementById("question-" + question);
    var select = q && q.querySelector(".item-lang-select");
    if (!select || !Array.prototype.some.call(select.options, function (o) { return o.value === code; })) { return; }
    select.value = code;
    q.querySelectorAll(".lang-text").forEach(function (span) { span.hidden = span.dataset.lang !== code; });
    if (remember) { view.langs[question] = code; keepView(); }
  }

  /* ---------- where the candidate is ---------- */
  // The question shown, the view (one question or the whole paper) and each question's chosen language
  // survive a reload, a switch of the interface language (a new page load) and a browser crash (issue
  // 18.11): they are kept in localStorage under the attempt, as unsent answers are. On another device the
  // paper opens at question 1 in the interface language (kept on the account), with every answer and
  // flag from the server: keeping these on the server too would cost a write per page turn.
  var viewKey = "certexam-view-" + root.dataset.attempt;
  var view = (function () {
    try {
      var v = JSON.parse(localStorage.getItem(viewKey) || "{}");
      if (v && typeof v === "object" && !Array.isArray(v)) {
        return {q: String(v.q || ""), whole: v.whole === true, langs: (v.langs && typeof v.langs === "object") ? v.langs : {}};
      }
    } catch (e) { /* unreadable: start afresh */ }
    return {q: "", whole: false, langs: {}};
  }());
  function keepView() {
    try { localStorage.setItem(viewKey, JSON.stringify(view)); } catch (e) { /* storage full or off: this page only */ }
  }

  /* ---------- navigation ---------- */
  var questions = Array.prototype.slice.call(document.querySelectorAll(".question"));
  var current = 0;
  var wholePaper = false;
  var toggle = document.getElementById("toggle-view");
  var position = document.getElementById("position");

  var navLabels = document.querySelector(".navigator").dataset;
  function slotsOf(q) {
    return q.dataset.slots.split(" ");
  }
  function isAnswered(q) { return slotsOf(q).every(function (slot) { return held[slot] === true; }); }
  function updateNav() {
    questions.forEach(function (q) {
      var btn = document.getElementById("nav-" + q.dataset.number);
      var done = isAnswered(q);
      var pending = slotsOf(q).some(waiting);
      var flag = questionFlagged(q);
      btn.classList.toggle("answered", done);
      btn.classList.toggle("pending", pending);
      btn.classList.toggle("flagged", flag);
      var states = [done ? navLabels.answered : navLabels.unanswered];
      if (pending) { states.push(navLabels.pending); }
      if (flag) { states.push(navLabels.flagged); }
      btn.setAttribute("aria-label", btn.dataset.label + " (" + states.join(", ") + ")");
    });
  }
  function show(index, focus) {
    current = Math.max(0, Math.min(index, questions.length - 1));
    questions.forEach(function (q, i) { q.hidden = !wholePaper && i !== current; });
    document.querySelectorAll(".nav-q").forEach(function (b, i) {
      if (i === current) { b.setAttribute("aria-current", "true"); } else { b.removeAttribute("aria-current"); }
    });
    position.textContent = (current + 1) + " / " + questions.length;
    if (questions.length) { view.q = questions[current].dataset.number; view.whole = wholePaper; keepView(); }
    document.getElementById("prev-q").disabled = current === 0;
    document.getElementById("next-q").disabled = current === questions.length - 1;
    if (focus) {
      var q = questions[current];
      q.scrollIntoView({block: "start"});
      var h = q.querySelector("h2");
      h.setAttribute("tabindex", "-1");
      h.focus();
    }
  }
  document.querySelector(".navigator").addEventListener("click", function (ev) {
    var b = ev.target.closest(".nav-q");
    if (!b) { return; }
    hideReview();
    show(questions.findIndex(function (q) { return q.dataset.number === b.dataset.target; }), true);
  });
  document.getElementById("prev-q").addEventListener("click", function () { show(current - 1, true); });
  document.getElementById("next-q").addEventListener("click", function () { show(current + 1, true); });
  toggle.addEventListener("click", function () {
    wholePaper = !wholePaper;
    toggle.setAttribute("aria-pressed", wholePaper ? "true" : "false");
    toggle.textContent = wholePaper ? toggle.dataset.one : toggle.dataset.all;
    show(current, false);
  });

  /* ---------- review and submit ---------- */
  var review = document.getElementById("review");
  // Every question as a chip with its states in words and marks; the filter shows all, the unanswered
  // or the flagged ones (issue 21).
  var reviewList = document.getElementById("review-list");
  function applyReviewFilter() {
    var chosen = document.querySelector('input[name="review-filter"]:checked');
    var want = chosen ? chosen.value : "all";
    var shown = 0;
    Array.prototype.forEach.call(reviewList.children, function (li) {
      var on = want === "all" || li.classList.contains(want);
      li.hidden = !on;
      if (on) { shown += 1; }
    });
    document.getElementById("review-none").hidden = shown > 0;
  }
  document.getElementById("review-filter").addEventListener("change", applyReviewFilter);
  function fillReview() {
    reviewList.innerHTML = "";
    var a = 0, f = 0;
    questions.forEach(function (q) {
      var n = q.dataset.number;
      var done = isAnswered(q), flag = questionFlagged(q);
      var li = document.createElement("li");
      li.className = (done ? "answered" : "unanswered") + (flag ? " flagged" : "");
      var b = document.createElement("button");
      b.type = "button"; b.className = "chip" + (done ? " answered" : "") + (flag ? " flagged" : "");
      var num = document.createElement("span"); num.className = "nav-n"; num.textContent = n;
      var mark = document.createElement("span"); mark.className = "nav-mark"; mark.setAttribute("aria-hidden", "true");
      b.appendChild(num); b.appendChild(mark);
      var states = [done ? navLabels.answered : navLabels.unanswered];
      if (flag) { states.push(navLabels.flagged); }
      b.setAttribute("aria-label", document.getElementById("nav-" + n).dataset.label + " (" + states.join(", ") + ")");
      b.addEventListener("click", function () { hideReview(); show(parseInt(n, 10) - 1, true); });
      li.appendChild(b);
      reviewList.appendChild(li);
      if (done) { a += 1; }
      if (flag) { f += 1; }
    });
    applyReviewFilter();
    var text = document.getElementById("review-summary").dataset.template
      .replace("{a}", a).replace("{t}", questions.length).replace("{f}", f);
    document.getElementById("review-summary").textContent = text;
    return text;
  }
  function hideReview() { review.hidden = true; }
  document.getElementById("open-review").addEventListener("click", function () {
    fillReview(); review.hidden = false; review.focus();
  });
  document.getElementById("close-review").addEventListener("click", function () { hideReview(); show(current, true); });

  var dialog = document.getElementById("submit-dialog");
  document.getElementById("open-submit").addEventListener("click", function () {
    document.getElementById("submit-summary").textContent = fillReview();
    if (typeof dialog.showModal === "function") { dialog.showModal(); }
    else if (window.confirm(document.getElementById("submit-h").textContent)) { submitNow(); }
  });
  dialog.addEventListener("close", function () { if (dialog.returnValue === "confirm") { submitNow(); } });

  function submitNow() {
    // Send what is queued first, then submit; submitting twice is harmless on the server.
    var wait = function () {
      if (queue.length && !stopped && !offline) { flush(); setTimeout(wait, 200); return; }
      request("POST", "/submit", {device: device}).then(function (r) {
        if (r.status === 200) { finishAndLeave(msg.msgSubmitted); }  // the candidate's own submit, not a timeout
        else if (r.data.code === "taken_over") { stop(msg.msgTaken, "warn"); }
        else { showBanner(r.data.error || String(r.status), "error"); }
      }).catch(function () { showBanner(msg.msgOffline.replace("{n}", String(queue.length)), "warn"); });
    };
    wait();
  }

  /* ---------- the clock ---------- */
  var timerEl = document.getElementById("timer");
  var announce = document.getElementById("announce");
  function tick() {
    var left = pausedLeft !== null ? pausedLeft : Math.max(0, Math.round((deadlineMono - performance.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    timerEl.textContent = (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    timerEl.classList.toggle("low", left <= 600);
    timerEl.dataset.left = String(left);
    // The time alerts the candidate chose (attempt_keys.js) listen for this, once a second.
    root.dispatchEvent(new CustomEvent("attempt:tick", {detail: {left: left}}));
    if (left === 0 && !stopped) { setTimeout(resync, 3000); }
  }
  function setPaused(on) {
    if (on) { showBanner(msg.msgPaused, "warn"); }
    else if (banner.textContent === msg.msgPaused) { banner.hidden = true; }
    if (paused === on) { return; }
    paused = on;
    showStatus();
    if (!on) { flush(); }  // resumed: send what was kept during the pause
  }
  // Apply a state the server reported (a resync, or the push channel); `acksBefore` is the count of
  // acknowledged saves when it was asked for: a state older than an acknowledgement leaves `held` alone.
  function applyState(st, acksBefore, endedText) {
    if (acks === acksBefore && Array.isArray(st.answered)) {
      held = {};
      st.answered.forEach(function (s) { held[s] = true; });
      updateNav();
    }
    deadlineMono = performance.now() + st.remaining_seconds * 1000;
    pausedLeft = st.paused ? st.remaining_seconds : null;
    tick();
    // Submitted elsewhere: "time is over" only when it is (another device or a proctor may have ended it).
    if (st.status === "submitted") {
      finishAndLeave(endedText || (st.remaining_seconds > 0 ? msg.msgSubmitted : msg.msgClosed));
      return;
    }
    if (st.holder === false) { stop(msg.msgTaken, "warn"); return; }
    setPaused(!!st.paused);
    if (offline) { offline = false; flush(); }
  }
  function resync() {
    if (stopped) { return; }
    var acksBefore = acks;
    request("GET", "").then(function (r) {
      if (r.status === 200) { applyState(r.data, acksBefore); }
    }).catch(function () { /* offline: keep counting down on the monotonic clock */ });
  }

  /* ---------- the push channel: a proctor's pause, extra time or end within a second ---------- */
  // One long poll at a time: the server answers when a proctor acts after `marker`, or after its
  // bounded wait (50 s, less up to a random fifth); a busy server says when to come back, and the 30 s resync covers the gap.
  var marker = null;
  var listenDelay = 1000;
  function listen() {
    if (stopped) { return; }
    var acksBefore = acks;
    request("GET", "/push" + (marker === null ? "" : "?since=" + marker)).then(function (r) {
      if (r.status === 401 || r.status === 403 || r.status === 404) { return; }  // signed out or gone: resync says why
      if (r.status !== 200) { setTimeout(listen, listenDelay); listenDelay = Math.min(listenDelay * 2, 30000); return; }
      listenDelay = 1000;
      var p = r.data;
      var first = marker === null;
      marker = p.marker;
      if (first) { resync(); }  // a proctor may have acted between the page's rendering and this marker
      if (p.changed && p.state) {
        if (p.added_minutes > 0 && p.state.status !== "submitted") {
          var added = msg.msgAdded.replace("{n}", String(p.added_minutes));
          announce.textContent = added;
          if (!p.state.paused) { showBanner(added, "info"); }
        }
        var ended = p.events.indexOf("proctor_end") >= 0 ? msg.msgEnded : null;
        applyState(p.state, acksBefore, ended);
      }
      if (p.retry_after) { setTimeout(listen, p.retry_after * 1000); } else { listen(); }
    }).catch(function () { setTimeout(listen, listenDelay); listenDelay = Math.min(listenDelay * 2, 30000); });
  }
  setInterval(tick, 1000);
  setInterval(resync, 30000);
  tick();

  /* ---------- integrity events ---------- */
  document.addEventListener("visibilitychange", function () {
    report(document.hidden ? "focus_lost" : "focus_back");
  });

  /* ---------- start: take the attempt on this device, replay anything unsent ---------- */
  request("POST", "/claim").then(function (r) {
    if (r.status === 200) {
      device = r.data.device;
      if (r.data.last_seq > seq) { seq = r.data.last_seq; }
      flush();
      listen();
    } else if (r.status === 409) {
      finishAndLeave(r.data.error || msg.msgClosed);
    }
  }).catch(function () { retryLater(); setTimeout(function () { window.location.reload(); }, 5000); });

  Object.keys(view.langs).forEach(function (question) { switchLanguage(question, view.langs[question], false); });
  if (view.whole) {
    wholePaper = true;
    toggle.setAttribute("aria-pressed", "true");
    toggle.textContent = toggle.dataset.one;
  }
  updateNav();
  show(Math.max(0, questions.findIndex(function (q) { return q.dataset.number === view.q; })), false);
  if (wholePaper && current > 0) { questions[current].scrollIntoView({block: "start"}); }
  showStatus();
})();
