/* Live autocomplete for the site search box (every page).
 * ARIA 1.2 combobox: the input owns a listbox; arrows move, Enter opens,
 * Escape closes. Requests are debounced, the last answer wins, and answers
 * are kept per prefix so backspacing costs nothing. */
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  if (!input || !window.fetch) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.id = "site-search-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  var KIND = { query: "", category: "in categories", brand: "brand", product: "product" };
  var cache = {};
  var items = [];
  var active = -1;
  var timer = null;
  var latest = "";

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function render(suggestions) {
    items = suggestions;
    list.textContent = "";
    active = -1;
    if (!suggestions.length) { close(); return; }
    suggestions.forEach(function (s, i) {
      var li = document.createElement("li");
      li.id = "site-search-option-" + i;
      li.setAttribute("role", "option");
      li.className = "suggestion suggestion-" + s.kind;
      var text = document.createElement("span");
      text.textContent = s.text;
      li.appendChild(text);
      if (KIND[s.kind]) {
        var kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = s.kind === "category" && s.path ? "in " + s.path.split(" › ").slice(0, -1).concat(["categories"]).join(" › ").replace(/ › categories$/, "") || "category" : KIND[s.kind];
        li.appendChild(kind);
      }
      li.addEventListener("mousedown", function (event) { event.preventDefault(); go(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function highlight(index) {
    var options = list.children;
    if (!options.length) return;
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = (index + options.length) % options.length;
    options[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", options[active].id);
  }

  function go(index) {
    var s = items[index];
    if (s) window.location.href = s.url;
  }

  function fetchSuggestions(prefix) {
    latest = prefix;
    if (cache[prefix]) { render(cache[prefix]); return; }
    fetch("/api/v1/search/suggest/?q=" + encodeURIComponent(prefix), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) {
        cache[prefix] = body.suggestions || [];
        if (prefix === latest && document.activeElement === input) render(cache[prefix]);
      })
      .catch(function () { /* offline or server trouble: the plain search box still works */ });
  }

  input.addEventListener("input", function () {
    var prefix = input.value.trim();
    clearTimeout(timer);
    if (!prefix) { close(); return; }
    timer = setTimeout(function () { fetchSuggestions(prefix.slice(0, 100)); }, 60);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden && items.length) render(items); highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0 && !list.hidden) { event.preventDefault(); go(active); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
