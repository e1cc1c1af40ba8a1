// The abstract screen: edits as you type, ICD-O-3 and code lookups, section and case hotkeys.
// The page works without it (edits are shown after each save); this script only makes it faster.
(function () {
  "use strict";
  var form = document.getElementById("abstract-form");
  if (!form) { return; }
  var editsUrl = form.getAttribute("data-edits");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";
  var sections = Array.prototype.slice.call(document.querySelectorAll(".abstract-section"));
  var currentSection = document.getElementById("current-section");
  var pending = null;
  var inFlight = 0;

  function fieldsOf() {
    return Array.prototype.filter.call(document.querySelectorAll("[form=abstract-form], #abstract-form input, #abstract-form textarea"), function (el) {
      return el.name && el.type !== "hidden" && el.type !== "submit";
    });
  }

  // --- Edits as you type: the form's values go to the server, failures come back per field.
  function body() {
    var parts = [];
    fieldsOf().forEach(function (el) {
      parts.push(encodeURIComponent(el.name) + "=" + encodeURIComponent(el.value));
    });
    parts.push("csrf_token=" + encodeURIComponent(csrf));
    return parts.join("&");
  }
  function show(answer) {
    Array.prototype.forEach.call(document.querySelectorAll(".field[data-field]"), function (field) {
      var id = field.getAttribute("data-field");
      var box = document.getElementById("x-" + id);
      var messages = answer.fields[id] || [];
      if (box) {
        box.textContent = "";
        messages.forEach(function (m) {
          var line = document.createElement("span");
          line.className = "edit-message";
          line.textContent = m;
          box.appendChild(line);
        });
      }
      var isError = messages.some(function (m) { return m.indexOf("(error)") >= 0; });
      field.classList.toggle("edit-error", isError);
    });
    var list = document.getElementById("edits-list");
    var count = document.getElementById("edits-count");
    if (list) {
      list.textContent = "";
      answer.failures.forEach(function (f) {
        var li = document.createElement("li");
        li.className = "edit-" + f.severity;
        var a = document.createElement("a");
        a.href = "#f-" + (f.items[0] || "");
        a.textContent = f.edit_id + ": " + f.message;
        li.appendChild(a);
        list.appendChild(li);
      });
    }
    if (count) {
      var n = answer.failures.length;
      count.textContent = n === 0 ? "No edit fails." : (n + " edit" + (n === 1 ? "" : "s") + " fail" + (n === 1 ? "s" : "") + " (" + answer.errors + " error" + (answer.errors === 1 ? "" : "s") + ").");
    }
    document.body.setAttribute("data-edits-done", String(Date.now()));
  }
  function runEdits() {
    pending = null;
    inFlight++;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", editsUrl);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.onload = function () {
      inFlight--;
      if (xhr.status === 200) {
        try { show(JSON.parse(xhr.responseText)); } catch (e) { /* keep the last result */ }
      }
    };
    xhr.onerror = function () { inFlight--; };
    xhr.send(body());
  }
  function schedule() {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(runEdits, 250);
  }
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.name && (ev.target.form === form)) { dirty = true; schedule(); }
  });
  document.addEventListener("input", function (ev) {
    var t = ev.target;
    if (t && t.form === form) { dirty = true; }
    if (t && t.form === form && t.tagName !== "TEXTAREA" && t.form !== null) {
      t.classList.add("changed");
      schedule();
    }
  });

  // --- Server-side draft: the unsaved form goes to the server every 20 s while it changes, and
  // when the page is hidden or left; reopening the abstract restores it, saving clears it.
  var draftUrl = form.getAttribute("data-draft");
  var dirty = false;
  function saveDraft(leaving) {
    if (!draftUrl || !dirty) { return; }
    dirty = false;
    var data = body();
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(draftUrl, new Blob([data], { type: "application/x-www-form-urlencoded" }));
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", draftUrl);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.onload = function () { if (xhr.status !== 204) { dirty = true; } };
    xhr.onerror = function () { dirty = true; };
    xhr.send(data);
  }
  if (draftUrl) {
    setInterval(function () { saveDraft(false); }, 20000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saveDraft(true); }
    });
    window.addEventListener("pagehide", function () { saveDraft(true); });
    form.addEventListener("submit", function () { dirty = false; });
  }

  // --- Lookups: primary site and histology offer ICD-O-3 codes matching the code or words typed.
  function lookup(input) {
    var kind = input.getAttribute("data-lookup");
    var q = input.value.trim();
    var desc = document.getElementById("d-" + input.name);
    var list = document.getElementById(input.getAttribute("list"));
    if (!kind || q.length < 2 || !list) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/lookup/" + kind + "?q=" + encodeURIComponent(q));
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      var hits = [];
      try { hits = JSON.parse(xhr.responseText); } catch (e) { return; }
      list.textContent = "";
      var exact = "";
      hits.forEach(function (h) {
        var o = document.createElement("option");
        var code = kind === "histology" ? h.code.split("/")[0] : h.code;
        o.value = code;
        o.textContent = h.code + " – " + h.description;
        list.appendChild(o);
        if (code.replace(".", "").toUpperCase() === q.replace(".", "").toUpperCase() && !exact) { exact = h.description; }
      });
      if (desc) { desc.textContent = exact || (hits.length ? "" : "no ICD-O-3 code matches"); }
    };
    xhr.send();
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-lookup]"), function (input) {
    var timer = null;
    input.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { lookup(input); }, 150);
    });
  });
  // Coded fields other than the ICD-O-3 ones: typed words pick the matching code of the list.
  Array.prototype.forEach.call(document.querySelectorAll("input.code[data-naaccr]:not([data-lookup])"), function (input) {
    input.addEventListener("change", function () {
      var list = document.getElementById(input.getAttribute("list"));
      var typed = input.value.trim().toLowerCase();
      if (!list || typed.length < 3) { return; }
      var match = Array.prototype.filter.call(list.options, function (o) { return o.value.toLowerCase() === typed; });
      if (match.length) { return; }
      var byWords = Array.prototype.filter.call(list.options, function (o) { return o.textContent.toLowerCase().indexOf(typed) >= 0; });
      if (byWords.length === 1) { input.value = byWords[0].value; input.dispatchEvent(new Event("input", { bubbles: true })); }
    });
  });

  // --- Hotkeys: Alt+N / Alt+P next / previous section, Alt+J next case, Alt+E edits now.
  function sectionIndex(el) {
    for (var i = 0; i < sections.length; i++) { if (sections[i].contains(el)) { return i; } }
    return -1;
  }
  function focusSection(i) {
    var s = sections[i];
    if (!s) { return; }
    var first = s.querySelector("input:not([type=hidden]):not([readonly]), textarea:not([readonly])");
    if (first) { first.focus(); first.scrollIntoView({ block: "center" }); }
  }
  document.addEventListener("focusin", function (ev) {
    var i = sectionIndex(ev.target);
    if (i >= 0 && currentSection) { currentSection.value = sections[i].getAttribute("data-section"); }
  });
  document.addEventListener("keydown", function (ev) {
    if (!ev.altKey) { return; }
    var key = (ev.key || "").toLowerCase();
    var here = sectionIndex(document.activeElement);
    if (key === "n") { ev.preventDefault(); focusSection(here + 1 < sections.length ? here + 1 : 0); }
    else if (key === "p") { ev.preventDefault(); focusSection(here > 0 ? here - 1 : sections.length - 1); }
    else if (key === "j") { var next = document.getElementById("next-case"); if (next) { ev.preventDefault(); window.location.href = next.href; } }
    else if (key === "e") { ev.preventDefault(); runEdits(); }
    else if (key === "s") { ev.preventDefault(); if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } }
  });
  window.registrarEditsBusy = function () { return inFlight > 0 || pending !== null; };
})();
