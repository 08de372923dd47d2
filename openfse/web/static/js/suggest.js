// Search fields with suggestions, one behaviour everywhere (issue 13, defect 10): the invoice's
// act code, the AMO organism of the patient form, the organism of a mutuelle…
//
// Markup (WAI-ARIA combobox, « list autocomplete »):
//   <input role="combobox" aria-controls="ID" aria-expanded="false" aria-autocomplete="list"
//          hx-get=… hx-target="#ID">
//   <ul|div id="ID"> … [role=option] with an id … </ul>   (htmx fills it)
// Keys, the focus staying in the field: ↓ / ↑ move among the suggestions (aria-activedescendant),
// Entrée picks the one shown, Échap closes the list (and nothing else: the page's own Échap,
// « retour », is not run). An option with data-value (or data-code) puts that value in the field
// and fires « change »; any other option is clicked (its button or link does the rest). The
// mouse picks too, without taking the focus from the field.
// A search field (type=search) never submits its form: Entrée with no suggestion shown starts
// the search at once (htmx « search » trigger), Entrée with suggestions shown but none chosen
// shows the first one.
(function () {
  if (window.openfseSuggest) return;
  window.openfseSuggest = true;

  function isCombobox(node) { return node && node.getAttribute && node.getAttribute("role") === "combobox"; }
  function listOf(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function options(list) { return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : []; }
  function isOpen(input) { return input.getAttribute("aria-expanded") === "true"; }
  function active(input) {
    var id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }
  function show(input, open) {
    var list = listOf(input);
    if (list) list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) {
      input.removeAttribute("aria-activedescendant");
      options(list).forEach(function (o) { o.setAttribute("aria-selected", "false"); });
    }
  }
  function highlight(input, index) {
    var all = options(listOf(input));
    if (!all.length) return;
    all.forEach(function (o, k) { o.setAttribute("aria-selected", k === index ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({block: "nearest"});
    show(input, true);
  }
  function move(input, step) {
    var all = options(listOf(input));
    if (!all.length) return;
    var at = all.indexOf(active(input));
    highlight(input, at < 0 ? (step > 0 ? 0 : all.length - 1) : (at + step + all.length) % all.length);
  }
  function pick(input, option) {
    var value = option.getAttribute("data-value");
    if (value === null) value = option.getAttribute("data-code");
    show(input, false);
    if (value !== null) {
      input.value = input.dataset.chosen = value;
      input.dispatchEvent(new Event("change", {bubbles: true}));
    } else {
      input.dataset.chosen = input.value;
      var control = option.matches("button, a") ? option : option.querySelector("button, a");
      (control || option).click();
    }
  }

  // Capture phase: the list's keys are handled before the page's own (Échap « retour », Entrée
  // « valider »), which see them as handled (defaultPrevented).
  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (!isCombobox(input)) return;
    var chosen = isOpen(input) ? active(input) : null;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      move(input, e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Enter" && chosen) {
      e.preventDefault();
      pick(input, chosen);
    } else if (e.key === "Enter" && input.type === "search") {
      e.preventDefault();  // a search field never submits its form
      if (options(listOf(input)).length) highlight(input, 0);
      else if (window.htmx) window.htmx.trigger(input, "search");
    } else if (e.key === "Escape" && isOpen(input)) {
      e.preventDefault();
      show(input, false);
    }
  }, true);

  document.addEventListener("htmx:afterSwap", function (e) {
    var list = e.detail.target;
    if (!list || !list.id) return;
    var input = document.querySelector('[role=combobox][aria-controls="' + list.id + '"]');
    if (!input) return;
    options(list).forEach(function (o, k) {
      if (!o.id) o.id = list.id + "-option-" + k;
      o.setAttribute("aria-selected", "false");
    });
    input.removeAttribute("aria-activedescendant");
    // An answer arriving after a pick does not reopen the list; a message (« aucun… ») shows.
    var open = document.activeElement === input && input.value !== input.dataset.chosen;
    show(input, open && (options(list).length > 0 || list.textContent.trim() !== ""));
  });

  document.addEventListener("focusout", function (e) {
    if (isCombobox(e.target)) show(e.target, false);
  });
  document.addEventListener("focusin", function (e) {
    var input = e.target;
    if (isCombobox(input) && options(listOf(input)).length && input.value !== input.dataset.chosen) show(input, true);
  });

  document.addEventListener("mousedown", function (e) {
    var option = e.target.closest && e.target.closest("[role=option]");
    if (!option || !option.parentNode) return;
    var list = option.closest("[id]");
    var input = null;
    while (list && !input) {
      input = document.querySelector('[role=combobox][aria-controls="' + list.id + '"]');
      list = list.parentElement && list.parentElement.closest("[id]");
    }
    if (!input) return;
    e.preventDefault();  // the field keeps the focus
    pick(input, option);
  });
})();
