// The coordinator's day page (/jour). Everything the page changes goes through the JSON API, and every change is
// shown before it is saved:
// * a planning job started from the page: its phase, seconds and solutions, then the new plan (no solve ever
//   runs in a page request);
// * edits of a draft (up, down, move to another round, lock, drop, insert): a dry run first (?dry_run=true) shows
//   the effect on km, times and warnings; "Enregistrer" saves it with the version seen; refusals and version
//   conflicts are said in plain words;
// * re-optimise (a job) and the mid-day re-plan of a published plan (a preview job: its differences are shown,
//   applied only on confirmation);
// * the day as it happens (published plan): rounds' progress, missed stops, relay points full today, alerts,
//   refreshed by polling, without reloading.
(function () {
  "use strict";
  var textsEl = document.getElementById("day-texts");
  var T = textsEl ? JSON.parse(textsEl.textContent) : {};
  function t(key, values) {
    var s = T[key] || key;
    return s.replace(/\{(\w+)\}/g, function (_, k) { return values && values[k] != null ? values[k] : "—"; });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }
  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }
  function reload(extra) {
    var lang = (area && area.dataset.lang === "en") ? "lang=en" : "";
    var q = [extra, lang].filter(Boolean).join("&");
    window.location.replace(window.location.pathname + (q ? "?" + q : ""));
  }

  // ---------------------------------------------------------------- a planning job started from the page
  var box = document.getElementById("job");
  if (box && box.dataset.status !== "failed") {
    var jobText = document.getElementById("job-text");
    var bar = document.getElementById("job-bar");
    var pollJob = function () {
      api("GET", "/api/v1/plan-jobs/" + box.dataset.jobId).then(function (res) {
        var job = res.data;
        if (res.status !== 200) { setTimeout(pollJob, 3000); return; }
        if (job.status === "succeeded") { reload("ok=planned"); return; }
        if (job.status === "failed" || job.status === "cancelled") { reload("job=" + job.id); return; }
        var p = job.progress || {};
        var phase = box.dataset["phase" + job.phase.charAt(0).toUpperCase() + job.phase.slice(1)] || job.phase;
        var elapsed = Math.round(p.elapsed_s || job.elapsed_s || 0);
        jobText.textContent = box.dataset.textProgress.replace("{phase}", phase).replace("{elapsed}", elapsed)
          .replace("{limit}", box.dataset.limit).replace("{solutions}", p.solutions || 0);
        if (bar) bar.value = Math.min(elapsed, Number(box.dataset.limit));
        setTimeout(pollJob, 1000);
      }).catch(function () { setTimeout(pollJob, 3000); });
    };
    pollJob();
  }

  var area = document.getElementById("edit-area");
  if (!area) return;
  var planId = area.dataset.planId;
  var version = Number(area.dataset.version);
  var message = document.getElementById("edit-message");
  var preview = document.getElementById("preview");
  var current = null;  // the plan as the page shows it (JSON), the "before" of every preview
  api("GET", "/api/v1/plans/" + planId).then(function (res) { if (res.status === 200) current = res.data; });

  function say(text) { message.textContent = text || ""; message.hidden = !text; }
  function plainRule(w) {
    var key = "rule_" + w.rule;
    return T[key] ? t(key, w) : (w.stop + " : " + w.rule);
  }
  function refusal(res) {
    var d = res.data || {};
    if (res.status === 409 && d.changes) {
      var changes = d.changes.map(function (c) { return "version " + c.version + " : " + c.op + " — " + c.actor; });
      return t("edit_conflict", { changes: changes.join(", ") });
    }
    if (d.violations && d.violations.length) return t("edit_refused", { detail: d.violations.map(plainRule).join(" ; ") });
    return t("edit_refused", { detail: d.detail || res.status });
  }
  function hhmm(iso) { return iso ? iso.slice(11, 16) : "—"; }
  function km(v) { var s = Number(v).toFixed(1); return area.dataset.lang === "fr" ? s.replace(".", ",") : s; }

  function effect(before, after) {
    // What an edit changes: total km, each round's end, the times of the stops that move, new warnings.
    var lines = [];
    var kmBefore = before.rounds.reduce(function (a, r) { return a + r.distance_km; }, 0);
    var kmAfter = after.rounds.reduce(function (a, r) { return a + r.distance_km; }, 0);
    lines.push(t("edit_km", { before: km(kmBefore), after: km(kmAfter) }));
    var old = {};
    before.rounds.forEach(function (r) { old[r.id] = r; });
    after.rounds.forEach(function (r) {
      var o = old[r.id];
      if (!o) return;
      var crew = r.crew || r.van;
      if (hhmm(o.end_at) !== hhmm(r.end_at)) lines.push(t("edit_round_end", { crew: crew, before: hhmm(o.end_at), after: hhmm(r.end_at) }));
      var times = {};
      before.rounds.forEach(function (x) { x.stops.forEach(function (s) { if (s.stop_id) times[s.stop_id] = s.planned_arrival; }); });
      r.stops.forEach(function (s) {
        if (s.kind !== "relay_point" && s.kind !== "pickup") return;
        if (times[s.stop_id] && hhmm(times[s.stop_id]) !== hhmm(s.planned_arrival)) {
          lines.push(t("edit_stop_time", { name: s.name, before: hhmm(times[s.stop_id]), after: hhmm(s.planned_arrival) }));
        }
      });
      var had = (o.warnings || []).length;
      (r.warnings || []).slice(had).forEach(function (w) { lines.push("⚠ " + plainRule(w)); });
    });
    return lines;
  }

  function showPreview(title, lines, actions) {
    preview.textContent = "";
    preview.appendChild(el("h3", {}, title));
    var ul = el("ul", { id: "preview-lines" });
    lines.forEach(function (line) { ul.appendChild(el("li", {}, line)); });
    preview.appendChild(ul);
    var row = el("div", { "class": "row" });
    actions.forEach(function (a) {
      var b = el("button", { type: "button", "class": "btn" + (a.primary ? " primary" : ""), id: a.id || "" }, a.label);
      b.addEventListener("click", a.run);
      row.appendChild(b);
    });
    preview.appendChild(row);
    preview.hidden = false;
    preview.scrollIntoView({ block: "nearest" });
  }
  function closePreview() { preview.hidden = true; preview.textContent = ""; }

  function edit(url, body) {
    // A dry run first: the effect is shown; saving sends the same edit with the version the page holds.
    say("");
    body.version = version;
    api("POST", url + "?dry_run=true", body).then(function (res) {
      if (res.status === 200) {
        showPreview(t("edit_preview_title"), effect(current || res.data, res.data), [
          { label: t("edit_save"), primary: true, id: "edit-save", run: function () { save(url, body); } },
          { label: t("edit_cancel"), run: closePreview }]);
      } else if (res.status === 422 && res.data.field === "force") {
        showPreview(t("edit_preview_title"), [refusal(res)], [
          { label: t("edit_force"), id: "edit-force", run: function () { body.force = true; edit(url, body); } },
          { label: t("edit_cancel"), run: closePreview }]);
      } else {
        say(refusal(res));
      }
    });
  }
  function save(url, body) {
    api("POST", url, body).then(function (res) {
      if (res.status === 200) { reload(""); return; }
      closePreview();
      say(refusal(res));
    });
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-edit]");
    if (!btn) return;
    var row = btn.closest("tr");
    var what = btn.dataset.edit;
    var base = "/api/v1/plans/" + planId;
    if (what === "insert") {
      var body = row.dataset.relayPointId ? { relay_point_id: Number(row.dataset.relayPointId) }
                                          : { pickup_request_id: Number(row.dataset.pickupRequestId) };
      edit(base + "/visits", body);
      return;
    }
    var stopId = row.dataset.stopId;
    var round = row.closest(".round");
    var url = base + "/stops/" + stopId;
    var pos = Number(row.dataset.position);
    if (what === "up") edit(url + "/move", { round_id: Number(round.dataset.roundId), position: pos - 1 });
    else if (what === "down") edit(url + "/move", { round_id: Number(round.dataset.roundId), position: pos + 1 });
    else if (what === "move") edit(url + "/move", { round_id: Number(row.querySelector('[data-role="target"]').value) });
    else if (what === "lock") edit(url + "/lock", { locked: row.dataset.locked !== "true" });
    else if (what === "drop") edit(url + "/drop", {});
  });

  var reopt = document.getElementById("reoptimise");
  if (reopt) reopt.addEventListener("click", function () {
    api("POST", "/api/v1/plans/" + planId + "/reoptimise", { version: version }).then(function (res) {
      if (res.status === 202) reload("job=" + res.data.job.id);
      else say(refusal(res));
    });
  });

  // ---------------------------------------------------------------- mid-day re-plan: a preview first
  var replanBtn = document.getElementById("replan");
  function startReplan(drop) {
    say("");
    var atInput = document.getElementById("replan-at");
    var body = { version: version, preview: true, drop: drop || [] };
    if (atInput && atInput.value) body.at = atInput.value;
    api("POST", "/api/v1/plans/" + planId + "/replan", body)
      .then(function (res) {
        if (res.status !== 202) { say(refusal(res)); return; }
        showPreview(T.job_running || "…", [T.job_queued || "…"], []);
        waitPreview(res.data.job.id);
      });
  }
  function waitPreview(jobId) {
    api("GET", "/api/v1/plan-jobs/" + jobId).then(function (res) {
      var job = res.data;
      if (res.status === 200 && job.status === "succeeded" && job.progress && job.progress.preview) {
        showReplan(jobId, job.progress.preview);
      } else if (res.status === 200 && (job.status === "failed" || job.status === "cancelled")) {
        closePreview();
        say(t("edit_refused", { detail: job.error || job.status }));
      } else {
        setTimeout(function () { waitPreview(jobId); }, 1000);
      }
    });
  }
  function section(title, items) {
    if (!items.length) return;
    preview.appendChild(el("h4", {}, title));
    var ul = el("ul");
    items.forEach(function (x) { ul.appendChild(x.nodeType ? x : el("li", {}, x)); });
    preview.appendChild(ul);
  }
  function showReplan(jobId, diff) {
    preview.textContent = "";
    preview.appendChild(el("h3", { id: "replan-title" }, t("replan_title", { at: diff.at })));
    var rounds = el("ul", { id: "replan-rounds" });
    diff.rounds.forEach(function (r) {
      rounds.appendChild(el("li", {}, r.crew + " : " + km(r.km_before) + " km → " + km(r.km_after) + " km, fin "
                                        + r.end_before + " → " + r.end_after));
    });
    preview.appendChild(rounds);
    section(t("replan_moved"), diff.moved.map(function (m) {
      return m.name + " : " + m.from + " " + m.time_before + " → " + m.to + " " + m.time_after; }));
    section(t("replan_added"), diff.added.map(function (a) { return a.name + " (" + a.crew + ", " + a.time + ")"; }));
    var times = [];
    diff.rounds.forEach(function (r) {
      r.changed_times.forEach(function (c) { times.push(r.crew + " — " + c.name + " : " + c.before + " → " + c.after); });
    });
    section(t("replan_times"), times);
    section(t("replan_left_out"), diff.left_out.map(function (x) {
      var li = el("li", {});
      if (x.booked_pickup && !x.by_hand && x.ref) {
        var cb = el("input", { type: "checkbox", value: x.ref, "data-role": "drop" });
        li.appendChild(cb);
      }
      li.appendChild(document.createTextNode(" " + x.name + (x.time_before ? " (" + (x.crew || "") + " " + x.time_before + ")" : "")));
      return li;
    }));
    section(t("replan_not_placed"), diff.not_placed || []);
    var row = el("div", { "class": "row" });
    if (diff.booked_left_out.length) {
      preview.appendChild(el("p", { "class": "warn" }, t("replan_booked", { names: diff.booked_left_out.join(", ") })));
      var again = el("button", { type: "button", "class": "btn" }, t("replan_drop_and_rerun"));
      again.addEventListener("click", function () {
        var refs = Array.prototype.map.call(preview.querySelectorAll('[data-role="drop"]:checked'), function (c) { return c.value; });
        startReplan(refs);
      });
      row.appendChild(again);
    } else {
      var applyBtn = el("button", { type: "button", "class": "btn primary", id: "replan-apply" }, t("replan_apply"));
      applyBtn.addEventListener("click", function () {
        api("POST", "/api/v1/plans/" + planId + "/replan/" + jobId + "/apply", { version: version }).then(function (res) {
          if (res.status === 200) { reload("ok=replanned"); return; }
          closePreview();
          say(refusal(res));
        });
      });
      row.appendChild(applyBtn);
    }
    var cancel = el("button", { type: "button", "class": "btn" }, t("edit_cancel"));
    cancel.addEventListener("click", closePreview);
    row.appendChild(cancel);
    preview.appendChild(row);
    preview.hidden = false;
  }
  if (replanBtn) replanBtn.addEventListener("click", function () { startReplan([]); });

  // ---------------------------------------------------------------- the day as it happens
  var live = document.getElementById("live");
  var changed = document.getElementById("changed-banner");
  function renderList(id, items) {
    var box = document.getElementById(id);
    box.textContent = "";
    if (!items.length) { box.appendChild(el("p", { "class": "muted" }, T.live_none)); return; }
    items.forEach(function (x) { box.appendChild(x); });
  }
  function pollLive() {
    var lang = area.dataset.lang === "en" ? "?lang=en" : "?lang=fr";
    api("GET", "/api/v1/days/" + area.dataset.day + "/live" + lang).then(function (res) {
      if (res.status !== 200) return;
      var day = res.data;
      if (day.version != null && (day.plan_id !== Number(planId) || day.version !== version)) {
        changed.textContent = t("live_changed", { version: day.version });
        changed.hidden = false;
      }
      if (!live) return;
      day.rounds.forEach(function (r) {
        var round = document.getElementById("round-" + r.id);
        if (!round) return;
        var text = r.done + " / " + r.total;
        if (r.late) text += " · " + t("live_late", { minutes: r.late_minutes });
        round.querySelector('[data-role="progress"]').textContent = "· " + text;
        r.stops.forEach(function (s) {
          var cell = document.querySelector("#row-" + s.stop_id + ' [data-role="live"]');
          if (!cell) return;
          var label = s.state === "todo" ? "" : t("live_state_" + s.state);
          if (s.state === "missed" && s.reason) label += " — " + s.reason;
          cell.textContent = label;
          cell.className = "live-" + s.state;
        });
      });
      renderList("live-alerts", day.alerts.map(function (a) { return el("p", { "class": "alert", "data-kind": a.kind }, a.text); }));
      renderList("live-full", day.full_relay_points.map(function (f) { return el("p", {}, f.name + " — " + f.at); }));
    }).catch(function () { /* offline: next tick */ });
  }
  pollLive();
  setInterval(pollLive, Number(area.dataset.liveMs || 10000));
})();
