// Donor page: address autocomplete (/api/v1/addresses), geolocation, live check of the collection rules.
(function () {
  "use strict";
  var script = document.currentScript;
  var okText = script.dataset.ok;
  var lang = script.dataset.lang;
  var search = document.getElementById("address-search");
  var latIn = document.getElementById("lat");
  var lonIn = document.getElementById("lon");
  var pickup = document.getElementById("pickup");
  var live = document.getElementById("live");
  var found = document.getElementById("address-found");
  var timer = null;

  function setPosition(lat, lon) {
    latIn.value = lat.toFixed(6);
    lonIn.value = lon.toFixed(6);
    pickup.elements.lat.value = lat.toFixed(6);
    pickup.elements.lon.value = lon.toFixed(6);
    check();
  }
  var fromAddress = false;  // the position is the chosen address's (not the device's or typed coordinates)
  function choose(a) {  // an address chosen among the suggestions: its position, label and postcode
    var input = pickup.elements.address;
    if (!a.housenumber) {  // a street: the donor still types the number in front of it
      input.value = " " + a.label;
      input.focus();
      input.setSelectionRange(0, 0);
      found.textContent = script.dataset.number;
      return;
    }
    fromAddress = true;
    input.value = a.label;
    pickup.elements.postcode.value = a.postcode;
    found.textContent = script.dataset.chosen + " " + a.label;
    setPosition(a.lat, a.lon);
  }

  // Address autocomplete (GET /api/v1/addresses): a list of buttons under the field, usable with a finger.
  function autocomplete(input, list, onChoose) {
    var wait = null, asked = 0;
    function close() { list.hidden = true; list.innerHTML = ""; input.setAttribute("aria-expanded", "false"); }
    function show(results) {
      list.innerHTML = "";
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = script.dataset.none;
        list.appendChild(none);
      }
      results.forEach(function (a) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = a.label;
        b.addEventListener("click", function () { close(); onChoose(a); input.focus(); });
        li.appendChild(b);
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    input.addEventListener("input", function () {
      clearTimeout(wait);
      var q = input.value.trim();
      if (q.length < 3) { close(); return; }
      wait = setTimeout(function () {
        var mine = ++asked;
        fetch("/api/v1/addresses?limit=6&q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
          .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
          .then(function (d) { if (mine === asked) show(d.results || []); })
          .catch(function () { close(); });
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") close();
      if (e.key === "ArrowDown" && !list.hidden) { var b = list.querySelector("button"); if (b) { e.preventDefault(); b.focus(); } }
    });
  }

  autocomplete(search, document.getElementById("where-suggestions"), function (a) {
    search.value = a.label;
    if (!pickup.elements.address.value) choose(a); else setPosition(a.lat, a.lon);
  });
  var addressIn = pickup.elements.address;
  autocomplete(addressIn, document.getElementById("address-suggestions"), choose);
  addressIn.addEventListener("input", function () {
    // The address changed after a choice: its position no longer holds; the server looks the new one up.
    if (!fromAddress) return;
    fromAddress = false;
    pickup.elements.lat.value = "";
    pickup.elements.lon.value = "";
    found.textContent = "";
  });
  document.getElementById("geolocate").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      fromAddress = false;
      setPosition(p.coords.latitude, p.coords.longitude);
      // The nearest address (GET /api/v1/addresses/reverse) fills an empty address field, to be checked.
      if (pickup.elements.address.value) return;
      fetch("/api/v1/addresses/reverse?lat=" + p.coords.latitude + "&lon=" + p.coords.longitude)
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (d) {
          var a = (d.results || [])[0];
          if (!a || pickup.elements.address.value) return;
          pickup.elements.address.value = a.label;
          pickup.elements.postcode.value = a.postcode;
          found.textContent = script.dataset.nearest + " " + a.label;
        }).catch(function () {});
    });
  });
  [latIn, lonIn].forEach(function (el) {
    el.addEventListener("change", function () {
      pickup.elements.lat.value = latIn.value;
      pickup.elements.lon.value = lonIn.value;
      check();
    });
  });

  function payload() {
    var f = pickup.elements;
    var cats = Array.prototype.filter.call(pickup.querySelectorAll('input[name="categories"]'), function (c) {
      return c.checked;
    }).map(function (c) { return c.value; });
    return { volume_m3: f.volume_m3.value, date: f.date.value, slot: f.slot.value, categories: cats,
             lat: f.lat.value, lon: f.lon.value, postcode: f.postcode.value };
  }
  function check() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch("/donner/verifier", { method: "POST", headers: { "Content-Type": "application/json", "Accept-Language": lang },
                                  body: JSON.stringify(payload()) })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          live.hidden = false;
          live.className = "card " + (d.ok ? "accepted" : "refused");
          live.innerHTML = "";
          if (d.ok) { live.textContent = okText; return; }
          var ul = document.createElement("ul");
          ul.className = "reasons";
          (d.reasons || []).forEach(function (t) { var li = document.createElement("li"); li.textContent = t; ul.appendChild(li); });
          live.appendChild(ul);
          // Slots that still fit the days' plans (trial insertion, server side): one tap fills date and slot.
          if (d.alternatives && d.alternatives.length) {
            var p = document.createElement("p");
            p.textContent = script.dataset.alternatives;
            live.appendChild(p);
            var alts = document.createElement("ul");
            d.alternatives.forEach(function (a) {
              var li = document.createElement("li");
              var b = document.createElement("button");
              b.type = "button";
              b.className = "btn";
              b.textContent = a.label;
              b.title = script.dataset.choose;
              b.addEventListener("click", function () {
                pickup.elements.date.value = a.date;
                pickup.elements.slot.value = a.slot;
                check();
              });
              li.appendChild(b);
              alts.appendChild(li);
            });
            live.appendChild(alts);
          }
        }).catch(function () {});
    }, 250);
  }
  pickup.addEventListener("input", check);
  pickup.addEventListener("change", check);
})();
