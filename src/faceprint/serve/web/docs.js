// Starts Swagger UI on /docs (a file, not an inline script: the page CSP forbids inline script).
"use strict";

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  // "Try it out" is a browser write: the service wants the header a cross-site form cannot send.
  requestInterceptor: (req) => { req.headers["X-Faceprint-Request"] = "docs"; return req; },
});
