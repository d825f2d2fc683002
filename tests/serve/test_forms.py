"""The one `fmr` form field: the calibrated rates, offered the same way by every route."""

from __future__ import annotations

from typing import get_args


def test_fmr_spellings_are_the_calibrated_rates():
    from faceprint.serve.forms import DEFAULT_FMR_TEXT, FmrText
    from faceprint.thresholds import calibrated_rates, rate_text

    rates = calibrated_rates("fast")
    assert rates, "calibration.json has no rates for 'fast'"
    # each calibrated rate as a decimal and as the docs write it, and nothing else
    assert set(get_args(FmrText)) == {f"{r:g}" for r in rates} | {rate_text(r) for r in rates}
    assert DEFAULT_FMR_TEXT in get_args(FmrText)


def test_every_fmr_field_of_the_api_offers_the_same_rates(tmp_path):
    from faceprint.serve import ServeConfig, create_app
    from faceprint.serve.forms import DEFAULT_FMR_TEXT, FmrText

    app = create_app(ServeConfig(model="fast", gallery=str(tmp_path / "g.db"), keys=str(tmp_path / "keys.json")))
    spec = app.openapi()
    fields = {}
    for name, schema in spec["components"]["schemas"].items():
        fmr = schema.get("properties", {}).get("fmr")
        if fmr is not None:
            fields[name] = fmr
    # verify, explain, identify, videos, liveness answers, blur: at least these take an fmr
    assert len(fields) >= 6, sorted(fields)
    for name, fmr in fields.items():
        assert fmr.get("enum") == list(get_args(FmrText)), (name, fmr)
        assert fmr.get("default") == DEFAULT_FMR_TEXT, (name, fmr)
