// Switchboard page (/standard): one screen to take a donor's call. Calls the JSON API with the staff session
// cookie: address search, nearest relay points, the rules' live verdict, slots that fit, create, cancel, move.
(function () {
  "use strict";
  var script = document.currentScript;
  var lang = script.dataset.lang || "fr";
  var minVolume = parseFloat(script.dataset.minVolume || "2");
  var T = JSON.parse(document.getElementById("sb-texts").textContent);
  var form = document.getElementById("pickup");
  var $ = function (id) { return document.getElementById(id); };
  var q = lang === "en" ? "?lang=en" : "";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] !== undefined ? values[k] : ""; });
  }
  function fmtDate(iso) {
    var d = new Date(iso + "T12:00:00");
    return d.toLocaleDateString(lang === "en" ? "en-GB" : "fr-FR", {weekday: "long", day: "numeric", month: "long"});
  }
  function slotLabel(slot) { return T["slot_" + slot] || slot; }
  function api(method, url, body) {
    var init = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        return {ok: r.ok, status: r.status, data: data};
      });
    });
  }
  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }
  function value(name) { return form.elements[name].value.trim(); }
  function number(name) { var v = value(name).replace(",", "."); return v === "" ? null : parseFloat(v); }

  // ---- address search: the address API, else the bundled list of the donor page
  function searchAddresses(text) {
    return api("GET", "/api/v1/addresses?limit=6&q=" + encodeURIComponent(text)).then(function (res) {
      if (res.ok && res.data && res.data.results) return res.data.results;
      return api("GET", "/donner/adresses?q=" + encodeURIComponent(text)).then(function (old) {
        return old.ok && Array.isArray(old.data) ? old.data : [];
      });
    });
  }
  var lastQuery = "";
  $("address-q").addEventListener("input", debounce(function () {
    var text = $("address-q").value.trim();
    var list = $("address-results");
    if (text.length < 3 || text === lastQuery) return;
    lastQuery = text;
    searchAddresses(text).then(function (results) {
      list.innerHTML = "";
      if (!results.length) { list.appendChild(el("li", {"class": "muted"}, T.sb_no_address)); return; }
      results.forEach(function (a) {
        var li = el("li"), b = el("button", {type: "button", "class": "btn"}, a.label);
        b.addEventListener("click", function () { chooseAddress(a); list.innerHTML = ""; });
        li.appendChild(b); list.appendChild(li);
      });
    });
  }, 250));

  function chooseAddress(a) {
    form.elements.lat.value = a.lat; form.elements.lon.value = a.lon;
    form.elements.address.value = a.label;
    if (a.postcode) form.elements.postcode.value = a.postcode;
    $("position").textContent = T.sb_position + " : " + a.label;
    loadRelayPoints(a.lat, a.lon);
    refresh();
  }

  function loadRelayPoints(lat, lon) {
    var list = $("relay-points");
    list.innerHTML = "";
    api("GET", "/standard/points-relais?lat=" + lat + "&lon=" + lon).then(function (res) {
      if (!res.data) return;
      if (res.data.error) { list.appendChild(el("li", {"class": "muted"}, res.data.error)); return; }
      res.data.results.forEach(function (p) {
        list.appendChild(el("li", {}, p.name + " — " + p.address + " (" + p.km + " " + T.sb_km + ")"));
      });
    });
  }

  // ---- live verdict of the rules and the slots that still fit
  function payload() {
    var cats = Array.prototype.filter.call(form.querySelectorAll("input[name=categories]"), function (c) {
      return c.checked; }).map(function (c) { return c.value; });
    var floor = number("floor");
    return {
      donor_name: value("donor_name"), phone: value("phone"), address: value("address"), postcode: value("postcode"),
      lat: number("lat"), lon: number("lon"), volume_m3: number("volume_m3"), date: value("date"), slot: value("slot"),
      categories: cats, floor: floor === null ? null : Math.round(floor),
      has_lift: floor === null ? null : form.elements.has_lift.checked,
      access_code: value("access_code") || null, notes: value("notes") || null, email: value("email") || null,
      lang: value("lang"), messages_opt_out: form.elements.messages_opt_out.checked
    };
  }
  function showVerdict(data) {
    var box = $("verdict");
    box.innerHTML = "";
    box.className = data.ok ? "accepted" : "refused";
    if (data.ok) { box.appendChild(el("p", {}, T.live_ok)); return; }
    var ul = el("ul");
    (data.reasons || []).forEach(function (r) { ul.appendChild(el("li", {}, r)); });
    box.appendChild(ul);
  }
  function loadSlots(p) {
    var list = $("slots");
    if (p.lat === null || p.volume_m3 === null || !(p.volume_m3 > 0)) {
      list.innerHTML = ""; list.appendChild(el("li", {"class": "muted"}, T.sb_slots_need)); return;
    }
    var url = "/api/v1/pickup-slots?days=21&lat=" + p.lat + "&lon=" + p.lon + "&volume_m3=" + p.volume_m3;
    api("GET", url).then(function (res) {
      list.innerHTML = "";
      var free = res.ok ? res.data.filter(function (o) { return o.available; }) : [];
      if (!free.length) { list.appendChild(el("li", {"class": "muted"}, T.sb_slots_none)); return; }
      free.slice(0, 8).forEach(function (o) {
        var li = el("li"), b = el("button", {type: "button", "class": "btn", "data-date": o.date, "data-slot": o.slot},
                                  fmtDate(o.date) + " — " + slotLabel(o.slot));
        if (o.date === p.date && o.slot === p.slot) b.classList.add("chosen");
        b.addEventListener("click", function () {
          form.elements.date.value = o.date; form.elements.slot.value = o.slot; refresh();
        });
        li.appendChild(b); list.appendChild(li);
      });
    });
  }
  function refresh() {
    var p = payload();
    $("small-volume").hidden = !(p.volume_m3 !== null && p.volume_m3 < minVolume);
    $("small-volume").textContent = fill(T.sb_small_volume, {min: String(minVolume).replace(".", lang === "fr" ? "," : ".")});
    api("POST", "/donner/verifier" + q, p).then(function (res) { if (res.data) showVerdict(res.data); });
    loadSlots(p);
  }
  form.addEventListener("input", debounce(refresh, 300));
  form.addEventListener("change", debounce(refresh, 300));

  // ---- create
  $("create").addEventListener("click", function () {
    var box = $("created");
    box.innerHTML = "";
    api("POST", "/api/v1/pickup-requests", payload()).then(function (res) {
      if (!res.ok) {
        var detail = res.data && (res.data.detail || res.data.title);
        if (res.data && res.data.errors) detail = res.data.errors.map(function (e) { return e.field + " : " + e.message; }).join(" ; ");
        box.appendChild(el("p", {"class": "refused", role: "alert"}, String(detail || res.status)));
        return;
      }
      var d = res.data;
      box.className = d.status === "accepted" ? "accepted" : "refused";
      box.appendChild(el("p", {"class": "big", id: "created-ref"}, fill(T.sb_created, {ref: d.ref, status: T.status[d.status] || d.status})
        + (d.status === "accepted" ? " — " + fmtDate(d.date) + ", " + slotLabel(d.slot) : "")));
      var ul = el("ul");
      d.reasons.forEach(function (r) { ul.appendChild(el("li", {}, r.message)); });
      box.appendChild(ul);
      if (!value("phone") && $("caller-phone").value) form.elements.phone.value = $("caller-phone").value;
      $("caller-phone").value = form.elements.phone.value;
      loadHistory();
      loadSlots(payload());
    });
  });

  // ---- a caller's previous requests: cancel, move
  var CHANGEABLE = ["requested", "accepted", "scheduled", "missed"];
  function loadHistory() {
    var phone = $("caller-phone").value.trim();
    var list = $("history");
    list.innerHTML = "";
    if (phone.replace(/\D/g, "").length < 6) return;
    if (!value("phone")) form.elements.phone.value = phone;
    api("GET", "/api/v1/pickup-requests?phone=" + encodeURIComponent(phone)).then(function (res) {
      if (!res.ok || !res.data.length) { list.appendChild(el("li", {"class": "muted"}, T.sb_history_none)); return; }
      res.data.forEach(function (p) { list.appendChild(historyItem(p)); });
    });
  }
  function historyItem(p) {
    var li = el("li", {"data-ref": p.ref, "data-status": p.status, "data-date": p.date, "data-slot": p.slot});
    li.appendChild(el("b", {}, p.ref));
    li.appendChild(document.createTextNode(" — " + fmtDate(p.date) + ", " + slotLabel(p.slot) + " — "
      + (T.status[p.status] || p.status) + " — " + p.volume_m3 + " m³ — " + p.address));
    if (CHANGEABLE.indexOf(p.status) < 0) return li;
    var actions = el("div", {"class": "inline"});
    var cancel = el("button", {type: "button", "class": "btn danger", "data-action": "cancel"}, T.sb_cancel);
    cancel.addEventListener("click", function () {
      if (!window.confirm(fill(T.sb_cancel_confirm, {ref: p.ref}))) return;
      api("POST", "/api/v1/pickup-requests/" + p.id + "/cancel", {}).then(done(li));
    });
    var move = el("button", {type: "button", "class": "btn", "data-action": "move"}, T.sb_move);
    move.addEventListener("click", function () { showMove(p, actions); });
    actions.appendChild(cancel); actions.appendChild(move);
    li.appendChild(actions);
    return li;
  }
  function done(li) {
    return function (res) {
      if (!res.ok) { li.appendChild(el("p", {"class": "refused", role: "alert"}, (res.data && res.data.detail) || String(res.status))); return; }
      loadHistory();
    };
  }
  function showMove(p, actions) {
    var url = "/api/v1/pickup-slots?days=21&lat=" + p.lat + "&lon=" + p.lon + "&volume_m3=" + p.volume_m3;
    api("GET", url).then(function (res) {
      var free = res.ok ? res.data.filter(function (o) { return o.available && !(o.date === p.date && o.slot === p.slot); }) : [];
      if (!free.length) { actions.appendChild(el("p", {"class": "muted"}, T.sb_slots_none)); return; }
      var select = el("select", {"aria-label": T.sb_move_to, "data-role": "move-to"});
      free.slice(0, 12).forEach(function (o) {
        select.appendChild(el("option", {value: o.date + "|" + o.slot}, fmtDate(o.date) + " — " + slotLabel(o.slot)));
      });
      var ok = el("button", {type: "button", "class": "btn primary", "data-action": "move-ok"}, T.sb_move_to);
      ok.addEventListener("click", function () {
        var parts = select.value.split("|");
        api("POST", "/api/v1/pickup-requests/" + p.id + "/reschedule", {date: parts[0], slot: parts[1]})
          .then(done(actions.parentNode));
      });
      actions.appendChild(select); actions.appendChild(ok);
    });
  }
  $("history-form").addEventListener("submit", function (e) { e.preventDefault(); loadHistory(); });
  refresh();
})();
