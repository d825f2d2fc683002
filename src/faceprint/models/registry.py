"""Names -> backends, built from their cards: the one place a user-facing model name is resolved.

`make_detector(name)` / `make_embedder(name)` build the backend their card in `catalog.py`
names (`card.factory`, called with `card=card` and the card's `options`), so a backend's
file, sizes and name are read from its card, never typed a second time. Nothing is loaded
until a factory is called; unknown names raise an error listing the valid ones instead of
falling back silently.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import UnknownModelError
from .card import ModelCard, ModelId, PipelineCard
from .catalog import MODELS, PIPELINES

DETECTORS: dict[str, ModelCard] = {n: c for n, c in MODELS.items() if c.task == "detect"}
EMBEDDERS: dict[str, ModelCard] = {n: c for n, c in MODELS.items() if c.task == "embed"}


def _unknown(kind: str, name: object, valid: list[str]) -> UnknownModelError:
    return UnknownModelError(f"unknown {kind} {name!r}; valid names: {', '.join(sorted(valid))}")


def build(card: ModelCard, **overrides: Any) -> Any:
    """The backend `card` describes: `card.factory(card=card, **card.options, **overrides)`."""
    module, _, attr = card.factory.partition(":")
    return getattr(importlib.import_module(module), attr)(card=card, **{**card.options, **overrides})


def make_detector(name: str):  # -> Detector
    if name not in DETECTORS:
        raise _unknown("detector", name, list(DETECTORS))
    return build(DETECTORS[name])


def make_embedder(name: str, flip: bool = False):  # -> Embedder
    """The network `name`; with `flip`, wrapped to average each face with its mirror image."""
    if name not in EMBEDDERS:
        raise _unknown("embedder", name, list(EMBEDDERS))
    network = build(EMBEDDERS[name])
    if not flip:
        return network
    from ..embedders.base import FlipEmbedder
    return FlipEmbedder(network)


def pipeline_card(name: str) -> PipelineCard:
    if not isinstance(name, str) or name not in PIPELINES:
        raise _unknown("model", name, list(PIPELINES))
    return PIPELINES[name]


def pipeline_names() -> list[str]:
    return list(PIPELINES)


def pipeline_model_id(name: str) -> ModelId:
    """The id `Analyzer.from_name(name)` stamps on its embeddings (with the calibrated fusion
    weights of a fused pipeline), without loading a model."""
    from .. import thresholds

    card = pipeline_card(name)
    return card.model_id(tuple(thresholds.fusion_weights(card.name, card.embedders)))


def pipeline_of(model_id: str) -> str | None:
    """The registered pipeline whose embeddings carry `model_id` (any fusion weights), if any."""
    m = ModelId.parse(model_id)
    card = PIPELINES.get(m.pipeline) if m is not None else None
    return card.name if card is not None and card.id == m.card_id else None
