"""A short clip made from real LFW photos: person A, cut, person B, cut, A again (other photos).

Built once per session (about a second) with `faceprint.video.synthetic`; the ground truth
is known by construction. A is enrolled from two photos that the clip never shows.
"""

from __future__ import annotations

import pytest
from browser_helpers import LiveServer

A, B = "Serena_Williams", "Hugo_Chavez"


@pytest.fixture(scope="session")
def aba(shared_data, tmp_path_factory):
    from faceprint.video import synthetic

    cast = synthetic.cast(shared_data, [A, B], [])
    folder = tmp_path_factory.mktemp("aba")
    path = folder / "aba.mp4"
    gt = synthetic.render(synthetic.aba_shots(cast, A, B), path, fps=12.0, size=(480, 360))
    return path, gt, cast


@pytest.fixture(scope="session")
def gallery_a(aba, fast, tmp_path_factory):
    """A gallery (fast pipeline) holding A only: B is a stranger to it."""
    from faceprint.gallery import open_gallery

    _, _, cast = aba
    g = open_gallery(tmp_path_factory.mktemp("gal") / "a.db", fast, create=True)
    g.enroll(A, cast.enrol[A])
    yield g
    g.close()


@pytest.fixture()
def server(fast, gallery_a, tmp_path):
    """The service on a free loopback port, in a thread; yields (base URL, app)."""
    from faceprint.serve import ServeConfig, create_app

    app = create_app(ServeConfig(model="fast", allowed_hosts=("testserver",), keys=str(tmp_path / "keys.json")), analyzer=fast, gallery=gallery_a)
    with LiveServer(app) as live:
        yield live.url, app
