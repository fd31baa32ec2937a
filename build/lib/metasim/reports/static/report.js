// metasim report: scenario filters and links from the tables; plain DOM, no library, no network.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var items = Array.prototype.slice.call(document.querySelectorAll("details.scenario"));
  var shown = document.getElementById("shown");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var text = document.getElementById("f-text");

  function matches(el) {
    for (var i = 0; i < selects.length; i++) {
      var want = selects[i].value, key = selects[i].dataset.key;
      if (!want) continue;
      // tickets holds several values, space-padded: match a whole word
      if (key === "tickets" ? el.dataset.tickets.indexOf(" " + want + " ") < 0 : el.dataset[key] !== want) return false;
    }
    var q = text.value.trim().toLowerCase();
    return !q || el.dataset.text.toLowerCase().indexOf(q) >= 0;
  }

  function apply() {
    var n = 0;
    items.forEach(function (el) {
      var ok = matches(el);
      el.classList.toggle("hidden", !ok);
      if (ok) n++;
    });
    shown.textContent = n + " of " + items.length + " shown";
  }

  function setFilters(values) {
    selects.forEach(function (s) { s.value = values[s.dataset.key] || ""; });
    text.value = "";
    apply();
    document.getElementById("scenarios").scrollIntoView();
  }

  selects.forEach(function (s) { s.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  // Clear at once (a native reset applies its values after the event, too late for apply()).
  form.addEventListener("reset", function (ev) {
    ev.preventDefault();
    selects.forEach(function (s) { s.value = ""; });
    text.value = "";
    apply();
  });

  document.querySelectorAll("button.filter-ticket").forEach(function (b) {
    b.addEventListener("click", function () { setFilters({ tickets: b.dataset.ticket }); });
  });
  document.querySelectorAll("td.cell").forEach(function (td) {
    td.addEventListener("click", function () {
      setFilters({ section: td.dataset.section === "—" ? "" : td.dataset.section, channel: td.dataset.channel });
    });
  });

  // A link to a scenario (from the backlog, the diff, contract coverage) opens it even if filtered out.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el || !el.classList.contains("scenario")) return;
    if (el.classList.contains("hidden")) setFilters({});
    el.open = true;
    el.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  // Same-document links fire hashchange later; open the scenario at the click already, and also
  // when the hash does not change (a second click on the same chip).
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest('a[href^="#s-"]');
    if (!a) return;
    var el = document.getElementById(a.getAttribute("href").slice(1));
    if (!el) return;
    if (el.classList.contains("hidden")) setFilters({});
    el.open = true;
  });
  apply();
  openTarget();
})();
