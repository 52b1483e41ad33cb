// The API reference page: Swagger UI (vendored in static/vendor/swagger-ui) drawn from the
// OpenAPI document whose address the page names. No online validator, nothing from outside.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-spec-url"),
    domNode: target,
    validatorUrl: null,
    deepLinking: false,
    tryItOutEnabled: false,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 1,
  });
});
