"""Property-based run of the OpenAPI spec (schemathesis): whatever it sends, no 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install '.[test]')")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402


@pytest.fixture(scope="module")
def fuzz_app(fast, tmp_path_factory, astronaut):
    from faceprint.serve import ServeConfig, create_app

    d = tmp_path_factory.mktemp("fuzz")
    app = create_app(ServeConfig(model="fast", allowed_hosts=("testserver",), gallery=str(d / "g.db"), keys=str(d / "keys.json")), analyzer=fast)
    # Someone enrolled, so identify and the identity routes reach the search, not only "empty".
    app.state.service.open()
    app.state.service.gallery.enroll("Eileen Collins", [astronaut])
    return app


def test_no_server_errors(fuzz_app):
    # Driven by hand rather than by schemathesis' pytest plugin, which does not load under
    # the pytest this suite runs on.
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    failures = {}
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(checks=[not_a_server_error])

        try:
            run()
        except Exception as e:  # collect every operation's failure, then report them together
            failures[op.label] = f"{type(e).__name__}: {str(e)[:800]}"
    assert not failures, failures
