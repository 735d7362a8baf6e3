// Record and article form helpers; the forms work without them (spare rows are rendered, the server checks everything).
(function () {
  "use strict";
  var form = document.querySelector("[data-record-form], [data-article-form]");
  if (!form) {
    return;
  }

  // Only the subcategories of the chosen problem type are offered.
  var category = form.querySelector("[data-category-select]");
  var subcategory = form.querySelector("[data-subcategory-select]");
  function filterSubcategories() {
    if (!category || !subcategory) {
      return;
    }
    var chosen = category.value;
    subcategory.querySelectorAll("optgroup").forEach(function (group) {
      var visible = !chosen || group.getAttribute("data-category") === chosen;
      group.hidden = !visible;
      group.disabled = !visible;
    });
    var selected = subcategory.selectedOptions[0];
    if (selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) {
      subcategory.value = "";
    }
  }
  if (category) {
    category.addEventListener("change", filterSubcategories);
    filterSubcategories();
  }

  // "Add a row" clones the group's <template>, numbering the inputs after the existing rows.
  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    var group = button.getAttribute("data-add-row");
    var container = form.querySelector('[data-rows="' + group + '"]');
    var template = form.querySelector('template[data-row-template="' + group + '"]');
    if (!container || !template) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = container.querySelectorAll("[data-row]").length;
      var html = template.innerHTML.replace(/__index__/g, String(index));
      container.insertAdjacentHTML("beforeend", html);
      var rows = container.querySelectorAll("[data-row]");
      var first = rows[rows.length - 1].querySelector("input");
      if (first) {
        first.focus();
      }
    });
  });

  // After a refused save, move focus to the summary so screen readers announce it.
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
  }
})();
