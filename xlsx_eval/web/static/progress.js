// A running job's progress bar: polls /jobs/<id>/progress and reloads the page when the job is over.
// Without JavaScript the page refreshes itself every two seconds instead (its <noscript> meta refresh).
(function () {
  "use strict";
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  if (!bar) {
    return;
  }
  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (p) {
        bar.max = p.total;
        bar.value = p.done;
        text.textContent = "已完成 " + p.done + " / " + p.total;
        if (p.state === "running" || p.state === "queued") {
          window.setTimeout(poll, 700);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
