// The Blur tab: upload a photo, get it back with every face covered. Uses $, apiKey() and showError() from app.js.
"use strict";

(() => {
  let shown = null;  // the object URL on display, revoked when replaced

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => { $("tab-blur").hidden = tab.dataset.tab !== "blur"; });
  }

  function status(text) { $("blur-status").textContent = text; }

  $("blur-btn").addEventListener("click", async () => {
    showError("");
    const file = $("blur-file").files[0];
    if (!file) { showError("choose a photo first"); return; }
    const form = new FormData();
    form.append("image", file);
    form.append("method", $("blur-method").value);
    form.append("keep", $("blur-keep").checked ? "true" : "false");
    form.append("format", "jpeg");
    // The same headers as app.js's api(): the service refuses browser writes without X-Faceprint-Request.
    const headers = { "X-Faceprint-Request": "page" };
    if (apiKey()) headers["Authorization"] = "Bearer " + apiKey();
    status("covering faces...");
    let resp;
    try {
      resp = await fetch("/v1/blur", { method: "POST", headers, body: form });
    } catch (e) {
      status("");
      showError("the service cannot be reached: " + e.message);
      return;
    }
    if (!resp.ok) {
      const data = await resp.json().catch(() => ({ error: { message: resp.statusText } }));
      if (resp.status === 401) $("key-box").hidden = false;
      status("");
      showError(data.error ? data.error.message : resp.statusText);
      return;
    }
    const blob = await resp.blob();
    if (shown) URL.revokeObjectURL(shown);
    shown = URL.createObjectURL(blob);
    $("blur-img").src = shown;
    $("blur-img").hidden = false;
    $("blur-save").href = shown;
    $("blur-save").download = (file.name.replace(/\.[^.]*$/, "") || "photo") + "-blurred.jpg";
    $("blur-save").hidden = false;
    const covered = resp.headers.get("X-Faceprint-Covered") || "0";
    const kept = Number(resp.headers.get("X-Faceprint-Kept") || "0");
    status(covered + " face(s) covered" + (kept ? ", " + kept + " enrolled person(s) left visible" : ""));
  });
})();
