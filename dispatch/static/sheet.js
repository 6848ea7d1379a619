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
    }
    li.classList.toggle("pending", status === "pending");
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
        drop(item.body.idempotency_key);  // refused for good: say why, do not resend
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
      body = { kind: "collected", collected_m3: parseFloat(String(data.get("collected_m3")).replace(",", ".")) };
      if (data.get("remaining_m3") !== null && data.get("remaining_m3") !== "") {
        body.remaining_m3 = parseFloat(String(data.get("remaining_m3")).replace(",", "."));
      }
    } else {
      body = { kind: "missed", reason: data.get("reason"), note: data.get("note") || null };
    }
    form.hidden = true;
    enqueue(li.dataset.stopId, body);
  });

  // Updates still queued from an earlier visit: show them as pending, then send.
  load().forEach(function (item) { showState(item.stopId, item.body, "pending"); });
  window.addEventListener("online", flush);
  window.addEventListener("offline", refreshBanner);
  setInterval(flush, 5000);
  refreshBanner();
  flush();
})();
