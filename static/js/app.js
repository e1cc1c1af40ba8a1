// Registrar page enhancements. Pages work without this script; it adds:
// - the idle warning before the automatic sign-out, and keeping unsaved form entries across it;
// - form drafts kept in this browser (restored after a timeout or a closed tab);
// - live code descriptions next to coded fields, changed-field marks, and hotkeys.
(function () {
  "use strict";
  var body = document.body;
  var signedIn = body.getAttribute("data-signed-in") === "1";
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "1800", 10);
  var csrfInput = document.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";

  // --- Drafts: every form with data-autosave keeps its entries in localStorage until submitted.
  function draftKey(form) { return "registrar-draft:" + form.getAttribute("data-autosave"); }
  function saveDraft(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "csrf_token" && el.type !== "submit") { data[el.name] = el.value; }
    });
    try { localStorage.setItem(draftKey(form), JSON.stringify({ at: Date.now(), data: data })); } catch (e) { /* storage full or blocked */ }
  }
  var forms = document.querySelectorAll("form[data-autosave]");
  Array.prototype.forEach.call(forms, function (form) {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { stored = null; }
    var hasErrors = document.querySelector(".error-box");
    if (stored && stored.data && !hasErrors) {
      var restored = 0;
      Object.keys(stored.data).forEach(function (name) {
        var el = form.elements[name];
        if (el && el.value !== stored.data[name]) { el.value = stored.data[name]; el.classList.add("changed"); restored++; }
      });
      if (restored > 0) {
        var note = document.createElement("p");
        note.className = "notice"; note.setAttribute("role", "status");
        note.textContent = "Restored " + restored + " unsaved entr" + (restored === 1 ? "y" : "ies") + " from this browser. Save to keep them.";
        form.parentNode.insertBefore(note, form);
      }
    }
    form.addEventListener("input", function (ev) {
      if (ev.target && ev.target.classList) { ev.target.classList.add("changed"); }
      saveDraft(form);
    });
    form.addEventListener("submit", function () { try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ } });
  });

  // --- Code descriptions follow what is typed.
  Array.prototype.forEach.call(document.querySelectorAll("input.code[list]"), function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var desc = document.getElementById("d-" + input.name);
    function update() {
      if (!list || !desc) { return; }
      var text = "";
      Array.prototype.forEach.call(list.options, function (o) {
        if (o.value === input.value.trim()) { text = o.textContent.replace(/^[^–]*–\s*/, ""); }
      });
      desc.textContent = text || (input.value.trim() ? "not a code of this item" : "");
    }
    input.addEventListener("input", update);
  });

  // --- Hotkeys: "/" finds a patient; Enter in a field moves to the next one (Ctrl+Enter saves).
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (ev.key === "/" && !typing) {
      var search = document.querySelector("#s-name, #q-name");
      if (search) { search.focus(); ev.preventDefault(); } else { window.location.href = "/patients"; }
    }
    if (ev.key === "Enter" && typing && t.form && t.form.classList.contains("record-form") && t.tagName === "INPUT") {
      if (ev.ctrlKey) { return; }
      ev.preventDefault();
      var fields = Array.prototype.filter.call(t.form.elements, function (el) { return el.type !== "hidden" && !el.disabled; });
      var i = fields.indexOf(t);
      if (i >= 0 && i + 1 < fields.length) { fields[i + 1].focus(); }
    }
  });
  var errorBox = document.getElementById("form-errors");
  if (errorBox) { errorBox.focus(); }

  // --- Idle warning: two minutes before the automatic sign-out.
  if (!signedIn) { return; }
  var warning = document.getElementById("idle-warning");
  var countdown = document.getElementById("idle-countdown");
  var stay = document.getElementById("idle-stay");
  var deadline = Date.now() + idleSeconds * 1000;
  function probe() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/session/status");
    xhr.setRequestHeader("X-Registrar-Probe", "1");
    xhr.onload = function () {
      try {
        var s = JSON.parse(xhr.responseText);
        if (!s.signedIn) { expire(); return; }
        deadline = Date.now() + s.remainingSeconds * 1000;
      } catch (e) { /* keep the local estimate */ }
    };
    xhr.send();
  }
  function expire() {
    Array.prototype.forEach.call(forms, saveDraft);
    window.location.href = "/login?expired=1&next=" + encodeURIComponent(window.location.pathname + window.location.search);
  }
  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) { probe(); setTimeout(function () { if (Date.now() >= deadline) { expire(); } }, 1500); return; }
    if (left <= Math.min(120, idleSeconds / 2)) {
      warning.hidden = false;
      countdown.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (left % 15 === 0) { probe(); }
    } else { warning.hidden = true; }
    setTimeout(tick, 1000);
  }
  if (stay) {
    stay.addEventListener("click", function () {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/session/keepalive");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.onload = function () { deadline = Date.now() + idleSeconds * 1000; warning.hidden = true; };
      xhr.send();
    });
  }
  setTimeout(tick, 1000);
})();
