// Donor page: address search over bundled addresses, geolocation, live check of the collection rules.
(function () {
  "use strict";
  var script = document.currentScript;
  var okText = script.dataset.ok;
  var lang = script.dataset.lang;
  var search = document.getElementById("address-search");
  var datalist = document.getElementById("address-list");
  var latIn = document.getElementById("lat");
  var lonIn = document.getElementById("lon");
  var pickup = document.getElementById("pickup");
  var live = document.getElementById("live");
  var found = {};
  var timer = null;

  function setPosition(lat, lon, label, postcode) {
    latIn.value = lat.toFixed(6);
    lonIn.value = lon.toFixed(6);
    pickup.elements.lat.value = lat.toFixed(6);
    pickup.elements.lon.value = lon.toFixed(6);
    if (label && !pickup.elements.address.value) pickup.elements.address.value = label;
    if (postcode && !pickup.elements.postcode.value) pickup.elements.postcode.value = postcode;
    check();
  }

  search.addEventListener("input", function () {
    var q = search.value;
    if (found[q]) { var a = found[q]; setPosition(a.lat, a.lon, a.label, a.postcode); return; }
    if (q.length < 3) return;
    fetch("/donner/adresses?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (list) {
      datalist.innerHTML = "";
      list.forEach(function (a) {
        found[a.label] = a;
        var o = document.createElement("option");
        o.value = a.label;
        datalist.appendChild(o);
      });
    }).catch(function () {});
  });
  document.getElementById("geolocate").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) { setPosition(p.coords.latitude, p.coords.longitude); });
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
