// The Liveness tab: the browser camera films the person doing the server's random challenges.
// Frames are JPEGs grabbed from a canvas at about 10 per second with their capture times; the
// server measures head pose and blinks on them and answers live or not, with the reason.
// Uses $, api() and showError() from app.js.
"use strict";

(() => {
  const FPS = 10;
  const MAX_WIDTH = 480; // enough for the face detector and the mesh; keeps the upload small
  const PROMPTS = {
    turn_left: "Turn your head to your left",
    turn_right: "Turn your head to your right",
    look_up: "Look up",
    blink: "Blink",
  };

  let run = null; // the check in progress: { stream, frames, times, timer, step, ... }

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      $("tab-liveness").hidden = tab.dataset.tab !== "liveness";
      if (tab.dataset.tab !== "liveness" && run) stop(false);
    });
  }

  function status(text) { $("live-status").textContent = text; }

  function prompt(text) { $("live-prompt").textContent = text; }

  function grab() {
    const video = $("live-video");
    if (!video.videoWidth) return;
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    const canvas = run.canvas;
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    const t = performance.now();
    run.pending.push(new Promise((resolve) => canvas.toBlob((blob) => {
      if (blob) { run.frames.push(blob); run.times.push(t); }
      resolve();
    }, "image/jpeg", 0.85)));
  }

  function showStep() {
    const s = run.session;
    const name = s.challenges[run.step];
    prompt((run.step + 1) + " of " + s.challenges.length + ": " + (PROMPTS[name] || name) +
           ", then back to the camera");
    $("live-next").textContent = run.step + 1 < s.challenges.length ? "Done, next" : "Done, check";
  }

  function tick() {
    grab();
    const left = run.session.deadline_s - (performance.now() - run.started) / 1000;
    status("recording: " + run.frames.length + " frames, " + Math.max(0, left).toFixed(0) + " s left");
    if (left <= 0) finish();
  }

  function next() {
    if (!run) return;
    if (run.step + 1 < run.session.challenges.length) { run.step += 1; showStep(); } else finish();
  }

  function stop(keepStatus) {
    if (!run) return;
    clearInterval(run.timer);
    for (const track of run.stream.getTracks()) track.stop();
    $("live-video").srcObject = null;
    $("live-next").hidden = true;
    $("live-start").disabled = false;
    if (!keepStatus) { status(""); prompt(""); }
    run = null;
  }

  async function finish() {
    if (!run || run.finishing) return;
    run.finishing = true;
    clearInterval(run.timer);
    const current = run;
    await Promise.all(current.pending);
    stop(true);
    prompt("");
    if (!current.frames.length) { status(""); showError("the camera gave no frames"); return; }
    const form = new FormData();
    form.append("nonce", current.session.nonce);
    const t0 = current.times[0];
    form.append("times_ms", current.times.map((t) => (t - t0).toFixed(1)).join(","));
    current.frames.forEach((blob, i) => form.append("frame", blob, "frame-" + i + ".jpg"));
    status("checking " + current.frames.length + " frames...");
    try {
      showResult(await api("POST", current.session.answer, form));
      status("");
    } catch (e) { status(""); showError(e.message); }
  }

  function showResult(r) {
    $("live-verdict").textContent = r.live ? "Live" : "Not live";
    $("live-verdict").className = "verdict " + (r.live ? "same" : "different");
    $("live-reason").textContent = r.reason || "every challenge was seen, in order and in time, on one face";
    const list = $("live-challenges");
    list.replaceChildren();
    for (const c of r.challenges) {
      const li = document.createElement("li");
      li.textContent = (PROMPTS[c.name] || c.name) + ": " +
        (c.passed ? "done at " + c.at.toFixed(1) + " s" : "not seen");
      list.appendChild(li);
    }
    if (r.identity) {
      const li = document.createElement("li");
      li.textContent = "identity " + r.identity.claimed + ": " + (r.identity.matched ? "matches" : "not confirmed");
      list.appendChild(li);
    }
    $("live-result").hidden = false;
  }

  $("live-next").addEventListener("click", next);

  $("live-start").addEventListener("click", async () => {
    showError("");
    $("live-result").hidden = true;
    if (run) stop(false);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("this browser gives no camera to the page (it needs https or localhost)");
      return;
    }
    $("live-start").disabled = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 } }, audio: false });
    } catch (e) {
      $("live-start").disabled = false;
      showError("no camera: " + e.message);
      return;
    }
    const video = $("live-video");
    video.style.transform = "scaleX(-1)"; // a mirror for the person; the frames sent are not mirrored
    video.srcObject = stream;
    try {
      await video.play();
      const form = new FormData();
      const identity = $("live-identity").value.trim();
      if (identity) form.append("identity", identity);
      const session = await api("POST", "/v1/liveness/sessions", form);
      run = { stream, session, frames: [], times: [], pending: [], step: 0, canvas: document.createElement("canvas"),
              started: performance.now(), finishing: false };
      showStep();
      $("live-next").hidden = false;
      run.timer = setInterval(tick, 1000 / FPS);
      tick();
    } catch (e) {
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
      $("live-start").disabled = false;
      run = null;
      showError(e.message);
    }
  });
})();
