"""The web page's newer parts in headless Chromium: /docs offline, the favicon, face thumbnails
and face choice before Compare, and a phone-width layout. Fixtures from test_browser."""

from __future__ import annotations

from urllib.parse import urlsplit

from browser_helpers import wait_js
from test_browser import browser, lfw, live  # noqa: F401  (fixtures)


def offline_page(browser, live):  # noqa: F811
    """A page whose every request outside the test server is aborted, as on a closed network;
    `page.outside` lists what was tried, `page.problems` the console errors (CSP refusals)."""
    page = browser.new_page()
    page.outside, page.problems = [], []
    local = urlsplit(live.url).netloc

    def route(r):
        if urlsplit(r.request.url).netloc == local:
            r.continue_()
        else:
            page.outside.append(r.request.url)
            r.abort()
    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    return page


def test_docs_render_offline_under_the_csp(browser, live):  # noqa: F811
    page = offline_page(browser, live)
    answers = []
    page.on("response", lambda r: answers.append((r.url, r.status)))
    page.goto(live.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)  # the operations are listed
    assert "faceprint" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock-summary-path", has_text="/v1/verify").count() >= 1
    assert "content-security-policy" in page.evaluate("fetch('/docs').then(r => [...r.headers.keys()])")
    assert page.outside == [] and page.problems == [], (page.outside, page.problems)
    assert all(status < 400 for _, status in answers), answers
    icon = page.request.get(live.url + "/favicon.ico")  # asked for by browsers whatever the page names
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("/static/favicon.svg")
    page.close()


def two_people(shared_data, tmp_path):  # noqa: F811
    """One photo with two people: Abel Pacheco small on the left, Aaron Peirsol larger on the right."""
    from PIL import Image

    canvas = Image.new("RGB", (760, 420), (128, 128, 128))
    abel = Image.open(lfw(shared_data, "Abel_Pacheco", 1)).convert("RGB").resize((200, 200))
    aaron = Image.open(lfw(shared_data, "Aaron_Peirsol", 1)).convert("RGB").resize((320, 320))
    canvas.paste(abel, (40, 110))
    canvas.paste(aaron, (400, 50))
    path = tmp_path / "two.jpg"
    canvas.save(path, quality=92)
    return str(path), canvas.width


# Client coordinates of image pixel (x, y) of a side's canvas (the inverse of app.js imagePoint).
CLIENT_POINT = """([side, x, y]) => {
  const c = document.getElementById('canvas-' + side), p = photos[side], r = c.getBoundingClientRect();
  const fit = Math.min(r.width / c.width, r.height / c.height);
  return [r.left + (r.width - c.width * fit) / 2 + x * p.scale * fit,
          r.top + (r.height - c.height * fit) / 2 + y * p.scale * fit];
}"""


def verdict(page) -> str:
    wait_js(page, "['Same person', 'Different people'].includes(document.getElementById('verdict').textContent)")
    return page.inner_text("#verdict")


def test_thumbnails_show_faces_at_once_and_a_click_chooses_the_face(browser, live, shared_data, tmp_path):  # noqa: F811
    path, width = two_people(shared_data, tmp_path)
    page = offline_page(browser, live)
    missing = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    page.goto(live.url + "/")
    page.fill("#api-key", live.key)
    page.click("#key-save")
    page.set_input_files("#file-a", path)
    page.set_input_files("#file-b", lfw(shared_data, "Abel_Pacheco", 4))
    # Before Compare: both thumbnails drawn, faces outlined from /v1/detect, the choice said.
    wait_js(page, "photos.a && photos.a.chosen !== null && photos.b && photos.b.chosen !== null")
    boxes = page.evaluate("photos.a.boxes")
    assert len(boxes) >= 2 and page.evaluate("document.getElementById('canvas-a').width") > 1
    assert "the largest of" in page.inner_text("#note-a") and "Click another face" in page.inner_text("#note-a")
    assert page.evaluate("photos.a.chosen") == 0 and boxes[0][0] > width / 2  # the larger face is Aaron's
    assert "will be compared" in page.inner_text("#note-b")
    page.click("#verify-btn")
    assert verdict(page) == "Different people"  # Aaron (the largest) against Abel

    # Click Abel's face: it becomes the chosen one, and Compare uses it.
    abel = min(range(len(boxes)), key=lambda i: boxes[i][0])
    b = boxes[abel]
    x, y = page.evaluate(CLIENT_POINT, ["a", (b[0] + b[2]) / 2, (b[1] + b[3]) / 2])
    page.mouse.click(x, y)
    wait_js(page, f"photos.a.chosen === {abel}")
    assert "(your choice)" in page.inner_text("#note-a")
    assert page.is_hidden("#result")  # the old verdict was for the other face
    page.click("#verify-btn")
    assert verdict(page) == "Same person"
    assert page.evaluate("photos.a.chosen") == abel  # the service answered for the chosen face
    assert "about" in page.inner_text("#explain-estimate")  # how long "Why?" takes, before asking
    assert missing == [] and page.outside == [] and page.problems == [], (missing, page.outside, page.problems)
    page.close()


def test_page_fits_a_phone(browser, live, shared_data):  # noqa: F811
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(live.url + "/")
    page.fill("#api-key", live.key)
    page.click("#key-save")
    page.set_input_files("#file-a", lfw(shared_data, "Abel_Pacheco", 1))
    page.set_input_files("#file-b", lfw(shared_data, "Abel_Pacheco", 4))
    wait_js(page, "photos.a && photos.a.chosen !== null && photos.b && photos.b.chosen !== null")
    page.click("#verify-btn")
    verdict(page)
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits), page.evaluate("document.documentElement.scrollWidth")
    shown = page.evaluate("document.getElementById('canvas-a').getBoundingClientRect().width")
    assert 250 < shown <= 375  # the photo is as wide as its box, not a small picture in a big frame
    for tab in ("gallery", "video"):
        page.click(f"button[data-tab={tab}]")
        assert page.evaluate(fits), (tab, page.evaluate("document.documentElement.scrollWidth"))
    page.close()
