"""The page's Video tab in headless Chromium: upload the A-B-A clip, see the tracks named."""

from __future__ import annotations


import pytest

from .conftest import A

pytestmark = pytest.mark.data

from browser_helpers import CHROMIUM, FLAGS, sync_api_or_skip, wait_js  # noqa: E402


def test_video_tab_tracks_and_names_the_clip(server, aba):
    sync_api = sync_api_or_skip()
    url, _ = server
    path, _, _ = aba
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(url + "/")
            assert page.is_hidden("#tab-video")
            page.click(".tab[data-tab=video]")
            assert page.is_visible("#tab-video")
            page.set_input_files("#video-file", str(path))
            page.click("#video-btn")
            wait_js(page, "!document.getElementById('video-tracks').hidden || "
                          "!document.getElementById('error').hidden", timeout_s=120)
            assert page.is_hidden("#error"), page.inner_text("#error")
            rows = page.eval_on_selector_all(
                "#video-tracks tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
            # A, then a stranger (B is not enrolled), then A again: one row per track, in order.
            assert [r[1] for r in rows] == [A, "stranger 1", A]
            assert all(r[3].endswith(" s") and r[4].endswith(" s") and int(r[5]) > 0 for r in rows)
            assert "3 tracks, 1 named" in page.inner_text("#video-status")
        finally:
            browser.close()
