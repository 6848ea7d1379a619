// Phone route sheet: stop updates go through a localStorage queue, sent in order when online.
// Each update carries a client-generated idempotency key, so a resend is never stored twice.
(function () {
  "use strict";
  var list = document.getElementById("stops");
  if (!list) return;
  var token = list.dataset.token;
  var storeKey = "amistock-queue-" + token;
  var banner = document.getElementById("offline");
  var countEl = document.getElementById("pending-count");
  var messageEl = document.getElementById("message");
  var sending = false;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(storeKey, JSON.stringify(q)); }

  function fmtM3(v) {
    var s = Number(v).toFixed(1);
    return (list.dataset.lang === "fr" ? s.replace(".", ",") : s) + " m³";
  }
  function showState(stopId, body, status) {
    var li = document.getElementById("stop-" + stopId);
    if (!li) return;
    var label = list.dataset["t" + body.kind.charAt(0).toUpperCase() + body.kind.slice(1)] || body.kind;
    if (body.kind === "collected" && body.collected_m3 != null) label += " " + fmtM3(body.collected_m3);
    label += status === "pending" ? " (" + list.dataset.tPending + ")" : " ✓";
    li.querySelector('[data-role="state"]').textContent = label;
    if (!(body.kind === "arrived" && (li.dataset.state === "collected" || li.dataset.state === "missed"))) {
      li.dataset.state = body.kind;
      if (status !== "pending") li.dataset.savedState = body.kind;
    }
    li.classList.toggle("pending", status === "pending");
    li.classList.remove("refused");
  }
  function refreshBanner() {
    var q = load();
    var offline = !navigator.onLine || q.length > 0;
    banner.hidden = !offline;
    countEl.textContent = q.length ? "(" + q.length + " " + list.dataset.tPending + ")" : "";
  }
  function showMessage(text) {
    messageEl.textContent = text;
    messageEl.hidden = !text;
  }

  function flush() {
    if (sending) return;
    var q = load();
    if (!q.length) { refreshBanner(); return; }
    sending = true;
    var item = q[0];
    fetch("/r/" + encodeURIComponent(token) + "/stops/" + item.stopId + "/events", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": list.dataset.lang },
      body: JSON.stringify(item.body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.ok) {
          drop(item.body.idempotency_key);
          showState(item.stopId, item.body, "saved");
          showMessage("");
          return true;
        }
        if (resp.status >= 500 || resp.status === 429) return false;  // retry later
        drop(item.body.idempotency_key);  // refused as sent: never resent as it is
        var code = resp.headers.get("X-Refusal-Code");
        if (resp.status === 422 && data.field === "confirm") {
          // A volume far above the expected one, or above the van's room left: the crew confirms it.
          if (window.confirm(data.detail)) { item.body.confirm = true; requeue(item); return true; }
        } else if (code === "correction_reason") {
          var why = window.prompt(data.detail + "\n" + list.dataset.tCorrection);
          if (why && why.trim()) { item.body.correction_reason = why.trim(); requeue(item); return true; }
        }
        showRefused(item.stopId, data.detail || list.dataset.tError);
        showMessage(data.detail || list.dataset.tError);
        return true;
      });
    }).catch(function () {
      return false;  // offline: keep the queue
    }).then(function (goOn) {
      sending = false;
      refreshBanner();
      if (goOn) flush();
    });
  }
  function requeue(item) {  // the same update, now confirmed or with its reason, sent first
    var q = load();
    q.unshift(item);
    save(q);
  }
  function showRefused(stopId, detail) {
    // The card goes back to what the server holds, and says this update was refused and why.
    var li = document.getElementById("stop-" + stopId);
    if (!li) return;
    li.classList.remove("pending");
    li.classList.add("refused");
    var state = li.dataset.savedState || "";
    var label = state ? (list.dataset["t" + state.charAt(0).toUpperCase() + state.slice(1)] || state) + " · " : "";
    li.dataset.state = state;
    li.querySelector('[data-role="state"]').textContent = label + list.dataset.tRefused + " : " + detail;
  }
  function drop(key) {
    save(load().filter(function (x) { return x.body.idempotency_key !== key; }));
  }
  function enqueue(stopId, body) {
    body.idempotency_key = newKey();
    var q = load();
    q.push({ stopId: stopId, body: body });
    save(q);
    showState(stopId, body, "pending");
    refreshBanner();
    flush();
  }

  list.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-action]");
    if (!btn) return;
    var li = btn.closest("li.stop");
    var stopId = li.dataset.stopId;
    var action = btn.dataset.action;
    li.querySelectorAll(".panel").forEach(function (p) { p.hidden = true; });
    if (action === "arrived") enqueue(stopId, { kind: "arrived" });
    else if (action === "open-collected") li.querySelector('[data-panel="collected"]').hidden = false;
    else if (action === "open-missed") li.querySelector('[data-panel="missed"]').hidden = false;
  });
  list.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    var li = form.closest("li.stop");
    var data = new FormData(form);
    var body;
    if (form.dataset.panel === "collected") {
      // "2,1" is 2.1 (a French keyboard), never 21
      body = { kind: "collected", collected_m3: parseFloat(String(data.get("collected_m3")).trim().replace(",", ".")) };
      if (isNaN(body.collected_m3)) { form.querySelector("input").focus(); return; }
      if (data.get("remaining_m3") !== null && data.get("remaining_m3") !== "") {
        body.remaining_m3 = parseFloat(String(data.get("remaining_m3")).replace(",", "."));
      }
    } else {
      body = { kind: "missed", reason: data.get("reason"), note: data.get("note") || null };
    }
    form.hidden = true;
    enqueue(li.dataset.stopId, body);
  });

  // The round as the server has it now: a change (an edit, a mid-day re-plan) is said at once.
  var changed = document.getElementById("changed");
  function watchRound() {
    fetch("/r/" + encodeURIComponent(token) + "/now", { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (now) {
        if (!now || now.signature === list.dataset.signature) return;
        var order = document.getElementById("changed-order");
        order.textContent = "";
        now.stops.forEach(function (s) {
          var li = document.createElement("li");
          li.textContent = s.time + " — " + s.name;
          order.appendChild(li);
        });
        changed.hidden = false;
      })
      .catch(function () { /* offline: checked again at the next tick */ });
  }
  document.getElementById("changed-show").addEventListener("click", function () {
    if (!load().length) window.location.reload();
    else flush();  // updates still queued are sent first: they are answered against the new round
  });
  setInterval(watchRound, Number(list.dataset.pollMs || 10000));
  document.addEventListener("visibilitychange", function () { if (!document.hidden) watchRound(); });

  // Updates still queued from an earlier visit: show them as pending, then send.
  load().forEach(function (item) { showState(item.stopId, item.body, "pending"); });
  window.addEventListener("online", flush);
  window.addEventListener("offline", refreshBanner);
  setInterval(flush, 5000);
  refreshBanner();
  flush();
})();
