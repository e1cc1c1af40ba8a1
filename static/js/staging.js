// Stage page: derived values (Schema ID, Derived SS2018, Derived Summary Grade, and whatever
// else the algorithm derives) update as the registrar types, through the JSON preview.
// Without this script the page still works: the "Derive" button re-renders it on the server.
(function () {
  "use strict";
  var form = document.getElementById("stage-form");
  if (!form || !form.getAttribute("data-preview") || !document.getElementById("derived")) { return; }
  var url = form.getAttribute("data-preview");
  var schema = form.getAttribute("data-schema") || "";
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";
  var timer = null;
  var sequence = 0;

  function formBody() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "action" && !el.disabled) { params.append(el.name, el.value); }
    });
    return params.toString();
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text || ""; }
  }

  function apply(data) {
    setText("stage-status", data.status);
    Array.prototype.forEach.call(document.querySelectorAll("[data-derived]"), function (el) {
      var id = el.getAttribute("data-derived");
      el.textContent = (data.shown && data.shown[id]) || "";
    });
    var errors = data.fieldErrors || {};
    Object.keys(errors).forEach(function (id) {
      var el = document.getElementById("e-" + id);
      if (!el) { return; }
      el.textContent = errors[id] || "";
      el.hidden = !errors[id];
      var field = el.closest(".field");
      if (field) { field.classList.toggle("has-error", !!errors[id]); }
    });
    var descriptions = data.descriptions || {};
    Object.keys(descriptions).forEach(function (id) { setText("d-" + id, descriptions[id]); });
  }

  function preview() {
    var mine = ++sequence;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: formBody()
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || mine !== sequence) { return; }
      if ((data.schemaKey || "") !== schema && data.status !== "no algorithm") {
        // Another schema has other inputs: let the server build its fields.
        var derive = document.getElementById("derive");
        if (derive) { if (form.requestSubmit) { form.requestSubmit(derive); } else { derive.click(); } }
        return;
      }
      apply(data);
    }).catch(function () {
      setText("stage-status", "(preview unavailable: use Derive)");
    });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(preview, 150);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}());
