"""The web page in headless Chromium (Debian's), driven by Playwright, on real LFW photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, FLAGS, LiveServer, sync_api_or_skip, wait_js


@pytest.fixture(scope="module")
def browser():
    with sync_api_or_skip().sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def live(fast, tmp_path):
    from faceprint.serve import ServeConfig, create_app
    from faceprint.serve.keys import KeyStore

    key = KeyStore(tmp_path / "keys.json").create("browser")
    config = ServeConfig(model="fast", gallery=str(tmp_path / "g.db"), keys=str(tmp_path / "keys.json"))
    with LiveServer(create_app(config, analyzer=fast)) as server:
        server.key = key
        yield server


def lfw(shared_data: Path, name: str, n: int) -> str:
    path = shared_data / "lfw_deepfunneled" / "images" / name / f"{name}_{n:04d}.jpg"
    assert path.is_file(), path
    return str(path)


@pytest.mark.data
def test_page_verifies_enrolls_and_searches(browser, live, shared_data, tmp_path):
    page = browser.new_page()
    page.goto(live.url + "/")
    # A key exists, so the page asks for it before the API answers.
    page.wait_for_selector("#key-box:not([hidden])", timeout=10_000)
    page.fill("#api-key", live.key)
    page.click("#key-save")

    # Two photos of one person, then of two people: the verdict and what the threshold means.
    page.set_input_files("#file-a", lfw(shared_data, "Abel_Pacheco", 1))
    page.set_input_files("#file-b", lfw(shared_data, "Abel_Pacheco", 4))
    page.click("#verify-btn")
    wait_js(page, "document.getElementById('verdict').textContent.includes('person') || "
                  "document.getElementById('verdict').textContent.includes('people')", timeout_s=30)
    assert page.inner_text("#verdict") == "Same person"
    assert "1 in 1,000 different people score this high" in page.inner_text("#meaning")
    similarity = float(page.inner_text("#similarity"))
    assert similarity > float(page.inner_text("#threshold"))
    assert page.evaluate("document.getElementById('canvas-a').width") > 1  # the photo is drawn
    page.click("#explain-btn")  # why: the explanation picture and its sentence
    wait_js(page, "document.getElementById('explain-img').naturalWidth > 0", timeout_s=60)
    assert "similarity" in page.inner_text("#explain-sentence")
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)

    page.set_input_files("#file-b", lfw(shared_data, "Aaron_Peirsol", 1))
    page.click("#verify-btn")
    wait_js(page, "document.getElementById('verdict').textContent === 'Different people'", timeout_s=30)
    assert float(page.inner_text("#similarity")) < float(page.inner_text("#threshold"))

    # Gallery: enroll a person from two photos, find them with a third; a stranger is unknown.
    page.click("button[data-tab=gallery]")
    page.fill("#enroll-name", "Abel Pacheco")
    page.set_input_files("#enroll-files", [lfw(shared_data, "Abel_Pacheco", 1), lfw(shared_data, "Abel_Pacheco", 2)])
    page.click("#enroll-btn")
    page.wait_for_selector("#people li[data-name='Abel Pacheco']", timeout=30_000)
    assert "Enrolled Abel Pacheco: 2 photo(s)." in page.inner_text("#enroll-result")

    page.set_input_files("#search-file", lfw(shared_data, "Abel_Pacheco", 4))
    page.click("#search-btn")
    page.wait_for_selector("#search-result li.answer", timeout=30_000)
    assert page.inner_text("#search-result li.answer").startswith("Abel Pacheco")
    page.screenshot(path=str(tmp_path / "gallery.png"))

    page.set_input_files("#search-file", lfw(shared_data, "Aaron_Peirsol", 3))
    page.click("#search-btn")
    wait_js(page, "document.querySelector('#search-result li.answer') && "
                  "document.querySelector('#search-result li.answer').textContent.startsWith('unknown')",
            timeout_s=30)
    assert not page.is_visible("#error")
    page.close()


def test_page_shows_api_errors(browser, live, astronaut, tmp_path):
    """A bad upload is shown to the person as the API's message, not a blank page."""
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff this is not really a JPEG")
    page = browser.new_page()
    page.goto(live.url + "/")
    page.fill("#api-key", live.key)
    page.click("#key-save")
    page.set_input_files("#file-a", str(bad))
    page.set_input_files("#file-b", str(bad))
    page.click("#verify-btn")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert "image_a" in page.inner_text("#error") or "cannot load image" in page.inner_text("#error")
    page.close()
