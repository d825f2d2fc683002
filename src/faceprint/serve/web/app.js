// faceprint's page: plain JavaScript over the /v1 API, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const files = { a: null, b: null };
const KEY = "faceprint-api-key";

function apiKey() { return sessionStorage.getItem(KEY) || ""; }

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function api(method, path, form) {
  // The service refuses browser writes without this header (a cross-site form cannot send it).
  const headers = { "X-Faceprint-Request": "page" };
  if (apiKey()) headers["Authorization"] = "Bearer " + apiKey();
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: form });
  } catch (e) {
    throw new Error("the service cannot be reached: " + e.message);
  }
  const data = await resp.json().catch(() => ({ error: { code: "bad_response", message: resp.statusText } }));
  if (resp.status === 401) $("key-box").hidden = false;
  if (!resp.ok) throw new Error(data.error ? data.error.message : resp.statusText);
  return data;
}

// -- drawing ---------------------------------------------------------------------------------
async function drawPhoto(canvas, file, boxes, chosen, labels) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 640 / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  (boxes || []).forEach((b, i) => {
    const isChosen = chosen === undefined || chosen === i;
    ctx.lineWidth = isChosen ? 3 : 1.5;
    ctx.strokeStyle = isChosen ? "#2ecc71" : "#f1c40f";
    ctx.strokeRect(b[0] * scale, b[1] * scale, (b[2] - b[0]) * scale, (b[3] - b[1]) * scale);  // x1 y1 x2 y2
    const label = labels && labels[i];
    if (label) {
      ctx.font = "bold 14px system-ui";
      const w = ctx.measureText(label).width + 8;
      ctx.fillStyle = "rgba(0,0,0,.65)";
      ctx.fillRect(b[0] * scale, Math.max(0, b[1] * scale - 20), w, 20);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, b[0] * scale + 4, Math.max(14, b[1] * scale - 5));
    }
  });
}

// -- compare two photos ----------------------------------------------------------------------
function choose(side, file) {
  if (!file) return;
  files[side] = file;
  drawPhoto($("canvas-" + side), file, []);
  $("verify-btn").disabled = !(files.a && files.b);
  $("result").hidden = true;
}

for (const side of ["a", "b"]) {
  $("file-" + side).addEventListener("change", (e) => choose(side, e.target.files[0]));
  const drop = $("drop-" + side);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    choose(side, e.dataTransfer.files[0]);
  });
}

$("verify-btn").addEventListener("click", async () => {
  showError("");
  $("verify-btn").disabled = true;
  $("verdict").textContent = "comparing...";
  $("result").hidden = false;
  $("explain-box").hidden = true;
  const form = new FormData();
  form.append("image_a", files.a);
  form.append("image_b", files.b);
  form.append("fmr", $("fmr").value);
  try {
    const r = await api("POST", "/v1/verify", form);
    $("verdict").textContent = r.same ? "Same person" : "Different people";
    $("verdict").className = "verdict " + (r.same ? "same" : "different");
    $("similarity").textContent = r.similarity.toFixed(3);
    $("threshold").textContent = r.threshold.toFixed(3);
    $("meaning").textContent = "The threshold means: " + r.meaning + "." +
      (r.face_a.faces_found > 1 || r.face_b.faces_found > 1 ? " (Several faces found: the green one was used.)" : "");
    await drawPhoto($("canvas-a"), files.a, r.face_a.boxes, r.face_a.face);
    await drawPhoto($("canvas-b"), files.b, r.face_b.boxes, r.face_b.face);
  } catch (e) {
    $("result").hidden = true;
    showError(e.message);
  } finally {
    $("verify-btn").disabled = false;
  }
});

$("explain-btn").addEventListener("click", async () => {
  showError("");
  const button = $("explain-btn");
  button.disabled = true;
  $("explain-sentence").textContent = "explaining (hiding parts of each face and re-measuring)...";
  $("explain-box").hidden = false;
  const form = new FormData();
  form.append("image_a", files.a);
  form.append("image_b", files.b);
  form.append("fmr", $("fmr").value);
  form.append("picture", "true");
  try {
    const r = await api("POST", "/v1/explain", form);
    $("explain-sentence").textContent = r.sentence;
    $("explain-img").src = "data:image/png;base64," + r.picture_png;
  } catch (e) {
    $("explain-box").hidden = true;
    showError(e.message);
  } finally {
    button.disabled = false;
  }
});

// -- gallery ---------------------------------------------------------------------------------
async function refreshPeople() {
  try {
    const r = await api("GET", "/v1/identities");
    const list = $("people");
    list.replaceChildren();
    $("people-count").textContent = "(" + r.count + ")";
    if (pipeline) $("model").textContent = "model " + pipeline + " · " + r.count + " enrolled";
    for (const person of r.identities) {
      const li = document.createElement("li");
      li.textContent = person.identity + " — " + person.templates + " photo(s)";
      li.dataset.name = person.identity;
      const del = document.createElement("button");
      del.textContent = "remove";
      del.addEventListener("click", async () => {
        if (!confirm("Remove " + person.identity + "?")) return;
        try {
          await api("DELETE", "/v1/identities/" + encodeURIComponent(person.identity));
          refreshPeople();
        } catch (e) { showError(e.message); }
      });
      li.appendChild(del);
      list.appendChild(li);
    }
  } catch (e) { showError(e.message); }
}

$("enroll-btn").addEventListener("click", async () => {
  showError("");
  const name = $("enroll-name").value.trim();
  const chosen = $("enroll-files").files;
  if (!name || !chosen.length) { showError("give a name and at least one photo"); return; }
  const form = new FormData();
  form.append("name", name);
  for (const f of chosen) form.append("image", f);
  $("enroll-result").textContent = "enrolling...";
  try {
    const r = await api("POST", "/v1/identities", form);
    $("enroll-result").textContent = "Enrolled " + r.identity + ": " + r.templates + " photo(s).";
    refreshPeople();
  } catch (e) {
    $("enroll-result").textContent = "";
    showError(e.message);
  }
});

$("search-btn").addEventListener("click", async () => {
  showError("");
  const file = $("search-file").files[0];
  if (!file) { showError("choose a photo to search with"); return; }
  const form = new FormData();
  form.append("image", file);
  form.append("top", "3");
  const out = $("search-result");
  out.replaceChildren();
  try {
    const r = await api("POST", "/v1/identify", form);
    const labels = r.faces.map((f) => f.identity || "unknown");
    await drawPhoto($("search-canvas"), file, r.faces.map((f) => f.box), undefined, labels);
    for (const f of r.faces) {
      const li = document.createElement("li");
      li.className = "answer";
      const best = f.candidates[0];
      li.textContent = (f.identity ? f.identity : "unknown") +
        (best ? " (best match " + best.identity + ", similarity " + best.similarity.toFixed(3) +
                ", threshold " + f.threshold.toFixed(3) + ")" : " (the gallery is empty)");
      out.appendChild(li);
    }
    const note = document.createElement("li");
    note.className = "muted";
    note.textContent = "A name is given only above the threshold: " + r.meaning + ".";
    out.appendChild(note);
  } catch (e) { showError(e.message); }
});

// -- tabs, key, start ------------------------------------------------------------------------
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
    $("tab-verify").hidden = tab.dataset.tab !== "verify";
    $("tab-gallery").hidden = tab.dataset.tab !== "gallery";
    if (tab.dataset.tab === "gallery") refreshPeople();
  });
}

$("key-save").addEventListener("click", () => {
  sessionStorage.setItem(KEY, $("api-key").value.trim());
  $("key-box").hidden = true;  // shown again if the service refuses the key
  showError("");
  refreshPeople();
});

let pipeline = "";
fetch("/healthz").then((r) => r.json()).then((h) => {
  pipeline = h.pipeline;
  $("model").textContent = "model " + h.pipeline + " · " + h.identities + " enrolled";
  if (h.auth && !apiKey()) $("key-box").hidden = false;
}).catch(() => showError("the service cannot be reached"));
