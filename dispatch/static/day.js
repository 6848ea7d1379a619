// The coordinator's day page (/jour): follows a planning job started from the page (its phase, seconds,
// solutions found) without reloading, then shows the new plan. No solve ever runs in a page request.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.status === "failed") return;
  var text = document.getElementById("job-text");
  var bar = document.getElementById("job-bar");
  var url = "/api/v1/plan-jobs/" + box.dataset.jobId;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }

  function show(job) {
    var p = job.progress || {};
    var phase = box.dataset["phase" + job.phase.charAt(0).toUpperCase() + job.phase.slice(1)] || job.phase;
    var elapsed = Math.round(p.elapsed_s || job.elapsed_s || 0);
    text.textContent = fill(box.dataset.textProgress, {
      phase: phase, elapsed: elapsed, limit: box.dataset.limit, solutions: p.solutions || 0});
    if (bar) bar.value = Math.min(elapsed, Number(box.dataset.limit));
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 3000); return; }
        box.dataset.status = job.status;
        if (job.status === "succeeded") {
          var lang = box.dataset.lang === "en" ? "&lang=en" : "";
          window.location.replace(window.location.pathname + "?ok=planned" + lang);
        } else if (job.status === "failed" || job.status === "cancelled") {
          window.location.replace(window.location.pathname + "?job=" + job.id +
                                  (box.dataset.lang === "en" ? "&lang=en" : ""));
        } else {
          show(job);
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
