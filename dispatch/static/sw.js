// Service worker of the crews' route sheets (scope /r/): network first, the cached copy when the network is
// down, so a sheet opened once opens again in an underground car park. Only GET requests of the sheet pages
// (/r/<token>) and the static assets are answered from the cache; updates (POST) always go to the network and
// wait in the page's queue when it is down. A sheet the server refuses (expired link) is removed from the cache.
"use strict";
var CACHE = "amistock-sheet-v1";

self.addEventListener("install", function (event) {
  self.skipWaiting();
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(["/static/sheet.js", "/static/style.css"]); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var sheet = /^\/r\/[^/]+$/.test(url.pathname);
  if (!sheet && url.pathname.indexOf("/static/") !== 0) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (c) { return c.put(request, copy); });
    } else if (sheet && response.status >= 400 && response.status < 500) {
      // The link expired or the round is gone: its copy (donors' details) does not stay on the phone.
      caches.open(CACHE).then(function (c) { return c.delete(request); });
    }
    return response;
  }).catch(function (error) {
    return caches.match(request).then(function (hit) {
      if (hit) return hit;
      throw error;  // never opened online: the browser's own offline page
    });
  }));
});
