// Phone route sheet: stop updates go through a localStorage queue, sent in order when online.
// Each update carries a client-generated idempotency key, so a resend is never stored twice.
// An update the server refuses for good (4xx: link expired, stop moved, plan re-published) is never dropped:
// it moves to the visible "not sent" list (reason in the crew's language) and is handed over, through this or
// any later valid link, to the coordinator (POST /r/<token>/held), who records it with its original time.
// A service worker (/sw.js) keeps a copy of the sheet and its assets, so the sheet opens without a network.
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
  var refusedKey = "amistock-refused";  // one list per phone: a later link (another token) hands them over
  var notSent = document.getElementById("not-sent");
  var notSentList = document.getElementById("not-sent-list");
  var handing = false;

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
        refuse(item, resp.status, data.detail);  // refused for good: kept, visible, handed over
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
  function loadRefused() {
    try { return JSON.parse(localStorage.getItem(refusedKey) || "[]"); } catch (e) { return []; }
  }
  function saveRefused(r) { localStorage.setItem(refusedKey, JSON.stringify(r)); }
  function reasonText(status) {
    var d = notSent.dataset;
    if (status === 401 || status === 403 || status === 410) return d.tLink;
    if (status === 404) return d.tStop;
    if (status === 409) return d.tPlan;
    return d.tOther;
  }
  function refuse(item, status, detail) {
    var r = loadRefused();
    if (!r.some(function (x) { return x.body.idempotency_key === item.body.idempotency_key; })) {
      r.push({ stopId: item.stopId, body: item.body, at: item.at || new Date().toISOString(),
               token: item.token || token, label: item.label || "", status: status,
               detail: typeof detail === "string" ? detail : "", held: false });
      saveRefused(r);
    }
    var li = document.getElementById("stop-" + item.stopId);
    if (li) {
      li.classList.remove("pending");
      li.querySelector('[data-role="state"]').textContent = notSent.querySelector("h2").textContent;
    }
    renderRefused();
    handOver();
  }
  function renderRefused() {
    var r = loadRefused();
    notSent.hidden = r.length === 0;
    notSentList.textContent = "";
    r.forEach(function (x) {
      var li = document.createElement("li");
      var what = list.dataset["t" + x.body.kind.charAt(0).toUpperCase() + x.body.kind.slice(1)] || x.body.kind;
      if (x.body.kind === "collected" && x.body.collected_m3 != null) what += " " + fmtM3(x.body.collected_m3);
      var when = new Date(x.at);
      var hhmm = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
      li.dataset.key = x.body.idempotency_key;
      li.dataset.held = x.held ? "true" : "false";
      li.appendChild(document.createTextNode(hhmm + " · " + (x.label || "") + " · " + what + " — " +
                                             reasonText(x.status) + " "));
      var state = document.createElement("span");
      state.className = "held-state";
      state.textContent = "(" + (x.held ? notSent.dataset.tSent : notSent.dataset.tWaiting) + ")";
      li.appendChild(state);
      notSentList.appendChild(li);
    });
  }
  function handOver() {
    var waiting = loadRefused().filter(function (x) { return !x.held; });
    if (handing || !waiting.length) return;
    handing = true;
    var updates = waiting.map(function (x) {
      var u = { stop_id: Number(x.stopId), kind: x.body.kind, idempotency_key: x.body.idempotency_key,
                occurred_at: x.at, refused_status: x.status, refused_reason: (x.detail || "").slice(0, 500),
                link_token: x.token };
      ["collected_m3", "remaining_m3", "reason", "note"].forEach(function (k) {
        if (x.body[k] != null) u[k] = x.body[k];
      });
      return u;
    });
    fetch("/r/" + encodeURIComponent(token) + "/held", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ updates: updates })
    }).then(function (resp) {
      if (!resp.ok) return;  // this link cannot hand them over (expired...): they wait for a valid one
      var keys = waiting.map(function (x) { return x.body.idempotency_key; });
      saveRefused(loadRefused().map(function (x) {
        if (keys.indexOf(x.body.idempotency_key) >= 0) x.held = true;
        return x;
      }));
    }).catch(function () {
      return null;  // offline: handed over on the next try
    }).then(function () {
      handing = false;
      renderRefused();
    });
  }

  function enqueue(stopId, body) {
    body.idempotency_key = newKey();
    var q = load();
    var li = document.getElementById("stop-" + stopId);
    var name = li && li.querySelector("h2") ? li.querySelector("h2").textContent : "";
    var pos = li && li.querySelector(".pos") ? li.querySelector(".pos").textContent + ". " : "";
    q.push({ stopId: stopId, body: body, at: new Date().toISOString(), token: token, label: pos + name });
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
  renderRefused();
  window.addEventListener("online", flush);
  window.addEventListener("offline", refreshBanner);
  setInterval(function () { flush(); handOver(); }, 5000);
  refreshBanner();
  flush();
  handOver();

  // Offline opening: the service worker serves this sheet and its assets from its cache when the network is
  // down; the page stores itself there while online (the first visit is not yet controlled by the worker).
  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register("/sw.js", { scope: "/r/" }).catch(function (e) {
      console.warn("the sheet will not open offline:", e);
    });
    if (navigator.onLine && !navigator.serviceWorker.controller) {  // controlled: the worker stores it
      caches.open("amistock-sheet-v1").then(function (c) {
        return c.addAll([location.pathname + location.search, "/static/sheet.js", "/static/style.css"]);
      }).catch(function (e) { console.warn("the sheet could not be stored for offline use:", e); });
    }
  }
})();
