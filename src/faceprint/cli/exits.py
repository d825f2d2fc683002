"""Exit codes of the `faceprint` command, defined once.

The rule, for every command:

* 0 (`OK`): everything asked was done.
* 1 (`DIFFERENT`): only with `verify --fail-if-different`, when a verdict is "different people".
* 2 (`BAD_INPUT`): a usage error, or an input, file, model or gallery fault. A single-input
  command prints one line on stderr. A batch command (detect, embed, verify --pairs, analyze,
  identify, cluster, eval ...) still answers every input: each failed one gets its own error
  line (or `"error"` record with `--json`), the others their results, and the run exits 2
  when any input failed.
* 130 (`INTERRUPTED`): Ctrl-C.
"""

from __future__ import annotations

OK = 0
DIFFERENT = 1
BAD_INPUT = 2
INTERRUPTED = 130
