// The Video tab: upload a clip, poll its job, show the tracks. Uses api() and showError() from app.js.
"use strict";

(() => {
  const POLL_MS = 1000;

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => { $("tab-video").hidden = tab.dataset.tab !== "video"; });
  }

  function status(text) { $("video-status").textContent = text; }

  function who(t) {
    if (t.identity) return t.identity;
    if (t.stranger) return "stranger " + t.stranger;
    return "unknown";
  }

  function showTracks(timeline) {
    const body = $("video-tracks").querySelector("tbody");
    body.replaceChildren();
    for (const t of timeline) {
      const row = document.createElement("tr");
      const cells = [t.track, who(t), t.similarity === null ? "" : t.similarity.toFixed(2),
                     t.start.toFixed(1) + " s", t.end.toFixed(1) + " s", t.frames];
      cells.forEach((value, i) => {
        const td = document.createElement("td");
        td.textContent = String(value);
        if (i === 1 && t.identity) td.className = "named";
        row.appendChild(td);
      });
      body.appendChild(row);
    }
    $("video-tracks").hidden = false;
  }

  async function poll(id) {
    const job = await api("GET", "/v1/jobs/" + encodeURIComponent(id));
    if (job.status === "queued") status("waiting for its turn...");
    if (job.status === "running") {
      const p = job.progress || {};
      status("processing: frame " + (p.frames || 0) + (p.total ? " of " + p.total : ""));
    }
    if (job.status === "failed") throw new Error(job.error ? job.error.message : "the job failed");
    if (job.status === "done") {
      const r = job.result;
      status(r.tracks + " tracks, " + r.identities.length + " named, " + r.strangers + " strangers; " +
             r.frames + " frames in " + r.elapsed_s + " s" + (r.complete ? "" : " (stopped early: " +
             (r.error ? r.error.message : "incomplete") + ")"));
      showTracks(r.timeline);
      return;
    }
    setTimeout(() => poll(id).catch((e) => { status(""); showError(e.message); }), POLL_MS);
  }

  $("video-btn").addEventListener("click", async () => {
    showError("");
    $("video-tracks").hidden = true;
    const file = $("video-file").files[0];
    if (!file) { showError("choose a video first"); return; }
    const form = new FormData();
    form.append("video", file);
    status("uploading...");
    try {
      const job = await api("POST", "/v1/videos", form);
      status("queued (" + job.video.duration + " s of video)");
      await poll(job.job);
    } catch (e) { status(""); showError(e.message); }
  });
})();
