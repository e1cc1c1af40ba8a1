// Pathology worklist keyboard: j or ↓ selects the next report, k or ↑ the previous one, Enter
// opens it (the selection is the focused report link, so screen readers announce it and Enter
// works without this script). Coming back to the worklist selects the report last opened.
// Without this script the worklist is an ordinary table of links.
(function () {
  "use strict";
  var table = document.getElementById("path-reports");
  if (!table) { return; }
  var KEY = "registrar.pathology.last";

  function links() {
    return Array.prototype.slice.call(table.querySelectorAll("a.path-open"));
  }

  function current(all) {
    var active = document.activeElement;
    for (var i = 0; i < all.length; i++) {
      if (all[i] === active || all[i].closest("tr").contains(active)) { return i; }
    }
    return -1;
  }

  // Focusing the link marks its row (the focusin handler below).
  function select(link) {
    link.focus();
  }

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) { return; }
    var all = links();
    if (!all.length) { return; }
    var at = current(all);
    var inTable = at >= 0;
    var step = 0;
    if (e.key === "j" || (e.key === "ArrowDown" && inTable)) { step = 1; }
    else if (e.key === "k" || (e.key === "ArrowUp" && inTable)) { step = -1; }
    else if (e.key === "Enter" && inTable && document.activeElement !== all[at]) {
      e.preventDefault();
      all[at].click();
      return;
    } else { return; }
    e.preventDefault();
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next]);
  });

  table.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.path-open");
    if (a) {
      try { window.sessionStorage.setItem(KEY, a.getAttribute("href")); } catch (err) { /* storage off */ }
    }
  });
  table.addEventListener("focusin", function (e) {
    var a = e.target.closest && e.target.closest("a.path-open");
    if (a) {
      links().forEach(function (l) { l.closest("tr").classList.toggle("selected", l === a); });
      try { window.sessionStorage.setItem(KEY, a.getAttribute("href")); } catch (err) { /* storage off */ }
    }
  });

  var last = null;
  try { last = window.sessionStorage.getItem(KEY); } catch (err) { last = null; }
  if (last) {
    var again = links().filter(function (a) { return a.getAttribute("href") === last; })[0];
    if (again) { again.closest("tr").classList.add("selected"); }
  }
})();
