"""Explain a match: where two faces look alike and where they differ (issue 8).

`explain(analyzer, a, b)` -> `Explanation` (maps, per-region shares, a sentence);
`render(explanation)` -> the side-by-side picture; `faithfulness` measures whether the
maps are true to the model (deletion curves against random orders).

The top-level verb `faceprint.explain(a, b)` and this package share a name; importing the
package would replace the verb on `faceprint`, so the module is made callable and does
what the verb does.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .explanation import Explanation, FaceMaps, explain


class _CallableModule(types.ModuleType):
    def __call__(self, a: Any, b: Any, **kwargs: Any) -> Explanation:
        from .. import _explain_verb

        return _explain_verb(a, b, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Explanation", "FaceMaps", "explain"]
