/* The back office's only script (served from /static: the CSP forbids inline script).
 * htmx does not swap 4xx/5xx answers by default; we show them in the #flash banner area
 * instead of losing them, and say so when the server cannot be reached at all. Banners there
 * can be dismissed. The topbar menus are plain <details>; we only add what a menu is expected
 * to do: close on a click elsewhere and on Escape. A [data-copy] button copies the value of
 * the input it names (links shown once); a [data-pick-target] button (catalogue pickers) puts
 * its value in the input it names; in a picker's input ([data-picks]) the arrow keys move the
 * highlighted match and Enter chooses it (Enter never submits the form from there). A
 * [data-toggle-group] box ("all of this object") ticks the boxes of its [data-group] and
 * follows them (the server also expands it, for no-JS). */
(function () {
  "use strict";

  function flash() { return document.getElementById("flash"); }

  /* A "Dismiss" button on every #flash banner (the label comes from the page, translated). */
  function addDismiss() {
    var area = flash();
    if (!area) { return; }
    area.querySelectorAll(".banner").forEach(function (banner) {
      if (banner.querySelector(".banner-dismiss")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button banner-dismiss";
      button.textContent = document.body.dataset.msgDismiss || "×";
      banner.appendChild(button);
    });
  }

  function showText(message) {
    var area = flash();
    if (!area) { return; }
    var banner = document.createElement("div");
    banner.className = "banner banner-error";
    banner.setAttribute("role", "alert");
    banner.textContent = message;
    area.replaceChildren(banner);
    addDismiss();
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

  document.addEventListener("htmx:afterSwap", addDismiss);

  document.addEventListener("htmx:beforeRequest", function () {
    var area = flash();
    if (area && area.querySelector("[data-error-status]")) { area.replaceChildren(); }
  });

  function unreachable() { showText(document.body.dataset.msgNetwork); }
  document.addEventListener("htmx:sendError", unreachable);
  document.addEventListener("htmx:timeout", unreachable);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var copy = target.closest("[data-copy]");
    if (copy) {   // copy a shown-once link; select it too, for browsers without clipboard
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source) {
        source.select();
        if (navigator.clipboard) {
          navigator.clipboard.writeText(source.value).then(function () {
            copy.textContent = copy.dataset.copied || copy.textContent;
          }, function () { /* selected: the user copies by hand */ });
        }
      }
    }
    var text = target.closest("[data-copy-text]");
    if (text) {   // copy an id or a UUID shown beside the button; select it where no clipboard
      var shown = text.previousElementSibling;
      var done = function () { text.textContent = text.dataset.copied || text.textContent; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text.dataset.copyText).then(done, function () {
          if (shown) { window.getSelection().selectAllChildren(shown); }
        });
      } else if (shown) {
        window.getSelection().selectAllChildren(shown);
      }
    }
    var pick = target.closest("[data-pick-target]");
    if (pick) { choose(pick); }
    var dismiss = target.closest(".banner-dismiss");
    if (dismiss && flash() && flash().contains(dismiss)) {
      dismiss.closest(".banner").remove();
    }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(target)) { menu.removeAttribute("open"); }
    });
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox]")) { return; }
    var scope = box.closest("form") || document;
    if (box.dataset.toggleGroup) {
      scope.querySelectorAll('input[data-group="' + box.dataset.toggleGroup + '"]')
        .forEach(function (member) { member.checked = box.checked; });
    } else if (box.dataset.group) {
      var members = scope.querySelectorAll('input[data-group="' + box.dataset.group + '"]');
      var all = scope.querySelector('input[data-toggle-group="' + box.dataset.group + '"]');
      if (all) {
        all.checked = Array.prototype.every.call(members, function (m) { return m.checked; });
      }
    }
  });

  /* A picker's choice fills its input, shows its label and closes the list. */
  function choose(pick) {
    var input = document.querySelector(pick.getAttribute("data-pick-target"));
    if (!input) { return; }
    input.value = pick.dataset.pickValue;
    var shown = document.getElementById(input.id + "-picked");
    if (shown) { shown.textContent = pick.dataset.pickLabel || ""; }
    var list = pick.closest(".picks");
    if (list && list.parentElement) { list.parentElement.replaceChildren(); }
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  }

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-picks]")) { return; }
    var key = event.key;
    if (key !== "Enter" && key !== "ArrowDown" && key !== "ArrowUp") { return; }
    event.preventDefault();   // Enter here picks: it neither submits nor adds a row
    var area = document.querySelector(box.dataset.picks);
    var picks = area ? Array.prototype.slice.call(area.querySelectorAll(".pick")) : [];
    if (!picks.length) { return; }
    var at = picks.findIndex(function (p) { return p.classList.contains("is-active"); });
    if (key === "Enter") { choose(picks[Math.max(at, 0)]); return; }
    var next = key === "ArrowDown" ? Math.min(at + 1, picks.length - 1) : Math.max(at - 1, 0);
    picks.forEach(function (p, i) {
      p.classList.toggle("is-active", i === next);
      p.setAttribute("aria-selected", i === next ? "true" : "false");
    });
    picks[next].scrollIntoView({ block: "nearest" });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      var hadFocus = menu.contains(document.activeElement);
      menu.removeAttribute("open");
      if (hadFocus) { menu.querySelector("summary").focus(); }
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", addDismiss);
  } else {
    addDismiss();
  }
})();
