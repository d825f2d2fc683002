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
const DRAW_SIDE = 640;  // canvas pixels of the longer side; CSS then fits the canvas to its box

// Draws the photo with its boxes (x1, y1, x2, y2 in image pixels); returns canvas px per image px.
async function drawPhoto(canvas, file, boxes, chosen, labels) {
  const bitmap = await createImageBitmap(file);
  const scale = DRAW_SIDE / Math.max(bitmap.width, bitmap.height);
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  (boxes || []).forEach((b, i) => {
    const isChosen = chosen === undefined || chosen === i;
    ctx.lineWidth = isChosen ? 4 : 2;
    ctx.strokeStyle = isChosen ? "#2ecc71" : "#f1c40f";
    ctx.strokeRect(b[0] * scale, b[1] * scale, (b[2] - b[0]) * scale, (b[3] - b[1]) * scale);
    const label = labels && labels[i];
    if (label) {
      ctx.font = "bold 16px system-ui";
      const w = ctx.measureText(label).width + 8;
      ctx.fillStyle = "rgba(0,0,0,.65)";
      ctx.fillRect(b[0] * scale, Math.max(0, b[1] * scale - 22), w, 22);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, b[0] * scale + 4, Math.max(16, b[1] * scale - 6));
    }
  });
  return scale;
}

// Image pixel under a click on a canvas drawn by drawPhoto and shown with object-fit: contain.
function imagePoint(canvas, scale, event) {
  const rect = canvas.getBoundingClientRect();
  const fit = Math.min(rect.width / canvas.width, rect.height / canvas.height);
  const left = rect.left + (rect.width - canvas.width * fit) / 2;
  const top = rect.top + (rect.height - canvas.height * fit) / 2;
  return [(event.clientX - left) / fit / scale, (event.clientY - top) / fit / scale];
}

// -- compare two photos ----------------------------------------------------------------------
// Per side: the file, its faces' boxes (largest first, from /v1/detect) and the chosen index.
const photos = { a: null, b: null };
let compareSeconds = null;  // how long the last Compare took: the basis of the "Why?" estimate

function note(side, text) { $("note-" + side).textContent = text; }

function describeChoice(side) {
  const p = photos[side], name = "Photo " + side.toUpperCase();
  const n = p.boxes.length;
  if (n === 0) return name + ": no face found.";
  if (n === 1) return name + ": one face (green) will be compared.";
  const which = p.picked ? "face " + (p.chosen + 1) + " of " + n + " (your choice)"
                         : "the largest of " + n + " faces";
  return name + ": " + which + ", in green, will be compared. Click another face to choose it.";
}

async function redraw(side) {
  const p = photos[side];
  p.scale = await drawPhoto($("canvas-" + side), p.file, p.boxes, p.chosen === null ? -1 : p.chosen);
  note(side, describeChoice(side));
}

async function choose(side, file) {
  if (!file) return;
  const photo = { file, boxes: [], chosen: null, picked: false, scale: 1 };
  photos[side] = photo;
  files[side] = file;
  $("verify-btn").disabled = !(files.a && files.b);
  $("result").hidden = true;
  $("drop-" + side).classList.add("has-photo");
  note(side, "Photo " + side.toUpperCase() + ": finding faces...");
  try {
    photo.scale = await drawPhoto($("canvas-" + side), file, []);  // the thumbnail at once
    const form = new FormData();
    form.append("image", file);
    const r = await api("POST", "/v1/detect", form);
    if (photos[side] !== photo) return;  // another photo was dropped meanwhile
    photo.boxes = r.faces.map((f) => f.box);
    photo.chosen = photo.boxes.length ? 0 : null;
    await redraw(side);
  } catch (e) {
    if (photos[side] === photo) note(side, "Photo " + side.toUpperCase() + ": " + e.message);
  }
}

function pickFace(side, event) {
  const p = photos[side];
  if (!p || !p.boxes.length) return;  // no faces: the click picks another photo
  const [x, y] = imagePoint($("canvas-" + side), p.scale, event);
  let best = null;
  p.boxes.forEach((b, i) => {  // the smallest box under the click
    const inside = x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];
    if (inside && (best === null || (b[2] - b[0]) < (p.boxes[best][2] - p.boxes[best][0]))) best = i;
  });
  if (best === null) return;  // not on a face: the label opens the file chooser
  event.preventDefault();
  p.chosen = best;
  p.picked = true;
  $("result").hidden = true;  // the verdict was for the other face
  note(side, describeChoice(side));
  redraw(side);
}

for (const side of ["a", "b"]) {
  $("file-" + side).addEventListener("change", (e) => choose(side, e.target.files[0]));
  $("canvas-" + side).addEventListener("click", (e) => pickFace(side, e));
  const drop = $("drop-" + side);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    choose(side, e.dataTransfer.files[0]);
  });
}

// The two photos and the chosen faces (the service picks the largest when none is known yet).
function pairForm() {
  const form = new FormData();
  form.append("image_a", files.a);
  form.append("image_b", files.b);
  form.append("fmr", $("fmr").value);
  for (const side of ["a", "b"]) {
    const p = photos[side];
    if (p && p.chosen !== null) form.append("face_" + side, String(p.chosen));
  }
  return form;
}

// Explaining hides grid x grid patches and 7 regions of each face and re-measures each time, so
// it costs (grid^2 + 7) steps. A step is about 0.6 of a Compare (which also detects) plus a fixed
// 0.07 s of warping and blurring (measured on 2 CPU cores with the fast and accurate models);
// once the page has explained a pair, the step time it measured is used instead.
const GRID = 7, QUICK_GRID = 4;
let explainStep = null;
function explainSeconds(grid) {
  const step = explainStep !== null ? explainStep : 0.6 * compareSeconds + 0.07;
  return step * (grid * grid + 7);
}

function showEstimate() {
  if (compareSeconds === null && explainStep === null) { $("explain-estimate").textContent = ""; return; }
  const about = (s) => s < 10 ? Math.max(1, Math.round(s)) + " s" : Math.round(s / 5) * 5 + " s";
  let text = "This takes about " + about(explainSeconds(GRID)) + " with the " + (pipeline || "current") +
    " model (each face is hidden patch by patch and re-measured); the coarser map about " +
    about(explainSeconds(QUICK_GRID)) + ".";
  if (pipeline && pipeline !== "fast") text += " For answers in a few seconds, run the service with the fast model: faceprint serve --model fast.";
  $("explain-estimate").textContent = text;
}

$("verify-btn").addEventListener("click", async () => {
  showError("");
  $("verify-btn").disabled = true;
  $("verdict").textContent = "comparing...";
  $("result").hidden = false;
  $("explain-box").hidden = true;
  const started = performance.now();
  try {
    const r = await api("POST", "/v1/verify", pairForm());
    compareSeconds = (performance.now() - started) / 1000;
    $("verdict").textContent = r.same ? "Same person" : "Different people";
    $("verdict").className = "verdict " + (r.same ? "same" : "different");
    $("similarity").textContent = r.similarity.toFixed(3);
    $("threshold").textContent = r.threshold.toFixed(3);
    $("meaning").textContent = "The threshold means: " + r.meaning + "." +
      (r.face_a.faces_found > 1 || r.face_b.faces_found > 1 ? " (Several faces found: the green one was used.)" : "");
    for (const [side, answer] of [["a", r.face_a], ["b", r.face_b]]) {
      const p = photos[side];
      p.boxes = answer.boxes;
      p.chosen = answer.face;
      await redraw(side);
    }
    showEstimate();
  } catch (e) {
    $("result").hidden = true;
    showError(e.message);
  } finally {
    $("verify-btn").disabled = false;
  }
});

async function explainPair(grid) {
  showError("");
  const buttons = [$("explain-btn"), $("explain-quick")];
  buttons.forEach((b) => { b.disabled = true; });
  const wait = compareSeconds === null && explainStep === null ? "" : " (about " + Math.max(1, Math.round(explainSeconds(grid))) + " s)";
  $("explain-sentence").textContent = "explaining: hiding parts of each face and re-measuring" + wait + "...";
  $("explain-img").removeAttribute("src");
  $("explain-box").hidden = false;
  const form = pairForm();
  form.append("grid", String(grid));
  form.append("picture", "true");
  try {
    const started = performance.now();
    const r = await api("POST", "/v1/explain", form);
    explainStep = (performance.now() - started) / 1000 / (grid * grid + 7);
    showEstimate();
    $("explain-sentence").textContent = r.sentence;  // the picture leaves it out: said once
    $("explain-img").src = "data:image/png;base64," + r.picture_png;
  } catch (e) {
    $("explain-box").hidden = true;
    showError(e.message);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}
$("explain-btn").addEventListener("click", () => explainPair(GRID));
$("explain-quick").addEventListener("click", () => explainPair(QUICK_GRID));

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
  $("search-note").textContent = "";
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
    $("search-note").textContent = "A name is given only above the threshold: " + r.meaning + ".";
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
