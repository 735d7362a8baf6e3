// The worklist's bulk form: "tick all" for the page's rows, and only the inputs of the chosen action shown.
(function () {
  "use strict";
  var all = document.querySelector("[data-bulk-all]");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-item]"));
  if (all) {
    all.addEventListener("change", function () {
      items.forEach(function (item) { item.checked = all.checked; });
    });
    items.forEach(function (item) {
      item.addEventListener("change", function () {
        var ticked = items.filter(function (each) { return each.checked; }).length;
        all.checked = ticked === items.length;
        all.indeterminate = ticked > 0 && ticked < items.length;
      });
    });
  }
  var action = document.querySelector("[data-bulk-action]");
  if (!action) { return; }
  function show() {
    document.querySelectorAll("[data-bulk-for]").forEach(function (part) {
      var active = part.getAttribute("data-bulk-for") === action.value;
      part.hidden = !active;
      part.querySelectorAll("input, select").forEach(function (input) {
        input.disabled = !active;
        if (input.name === "follow_up_action" || input.name === "follow_up_due") { input.required = active; }
      });
    });
  }
  action.addEventListener("change", show);
  show();
})();
