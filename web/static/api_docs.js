// Starts Swagger UI on /api/v1/docs with the spec address and options the page carries in data attributes.
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui-container");
  var config = {url: container.dataset.specUrl, dom_id: "#swagger-ui-container"};
  var overrides = JSON.parse(container.dataset.config || "{}");
  Object.keys(overrides).forEach(function (key) { config[key] = overrides[key]; });
  window.addEventListener("load", function () {
    window.ui = window.SwaggerUIBundle(config);
  });
})();
