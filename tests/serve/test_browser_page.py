"""The web page's newer parts in headless Chromium: /docs offline, the favicon, face thumbnails
and face choice before Compare, and a phone-width layout. Fixtures from test_browser."""

from __future__ import annotations

from urllib.parse import urlsplit

from test_browser import browser, lfw, live, wait_js  # noqa: F401  (fixtures)


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
    page.close()
