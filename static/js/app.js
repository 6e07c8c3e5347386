/* The back office's only script (served from /static: the CSP forbids inline script).
 * htmx does not swap 4xx/5xx answers by default; we show them in the #flash banner area
 * instead of losing them, and say so when the server cannot be reached at all. */
(function () {
  "use strict";

  function flash() { return document.getElementById("flash"); }

  function showText(message) {
    var area = flash();
    if (!area) { return; }
    var banner = document.createElement("div");
    banner.className = "banner banner-error";
    banner.setAttribute("role", "alert");
    banner.textContent = message;
    area.replaceChildren(banner);
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400) { return; }
    if (xhr.getResponseHeader("HX-Retarget")) {   // the server chose where this goes
      event.detail.shouldSwap = true;
      return;
    }
    if (xhr.getResponseHeader("X-Backoffice-Error")) {   // our error fragment
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.target = flash();
      event.detail.swapOverride = "innerHTML";
      return;
    }
    showText(document.body.dataset.msgError.replace("{status}", String(xhr.status)));
  });

  document.addEventListener("htmx:beforeRequest", function () {
    var area = flash();
    if (area && area.querySelector("[data-error-status]")) { area.replaceChildren(); }
  });

  function unreachable() { showText(document.body.dataset.msgNetwork); }
  document.addEventListener("htmx:sendError", unreachable);
  document.addEventListener("htmx:timeout", unreachable);
})();
