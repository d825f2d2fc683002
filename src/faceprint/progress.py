"""Progress bars only on a terminal; elsewhere one summary line when the work ends.

A bar redraws itself with carriage returns: on a pipe, in CI or in a log file that is
hundreds of lines of noise. So every long loop in faceprint gets its bar from here: a tqdm
bar when stderr is a terminal, else a counter that prints `desc: 120 img in 4.2 s (28.6 img/s)`
once, on close.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Iterable, Iterator, TextIO


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Summary:
    """The stand-in for a bar off a terminal: counts, and says once what was done."""

    def __init__(self, iterable: Iterable | None, total: int | None, desc: str, unit: str, file: TextIO) -> None:
        self.iterable, self.total, self.desc, self.unit, self.file = iterable, total, desc, unit, file
        self.n, self.postfix, self.start, self.closed = 0, {}, time.perf_counter(), False

    def __iter__(self) -> Iterator:
        try:
            for item in self.iterable or ():
                yield item
                self.n += 1
        except BaseException:
            self.closed = True  # the error is the news, not how far the loop got
            raise
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        self.postfix = values

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        seconds = time.perf_counter() - self.start
        rate = f" ({self.n / seconds:.1f} {self.unit}/s)" if seconds > 0 and self.n else ""
        of = f"/{self.total}" if self.total is not None and self.total != self.n else ""
        extra = "".join(f", {k} {v}" for k, v in self.postfix.items())
        units = self.unit + "s" if self.n != 1 and len(self.unit) > 3 and not self.unit.endswith("s") else self.unit
        try:
            print(f"{self.desc}: {self.n}{of} {units} in {seconds:.1f} s{rate}{extra}", file=self.file, flush=True)
        except (OSError, ValueError):  # stderr gone: nothing to tell
            pass

    def __enter__(self) -> "Summary":
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:
            self.closed = True  # failed: the error line is what the user needs
        self.close()


class _Off(Summary):
    def close(self) -> None:
        self.closed = True


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str, unit: str = "it",
             enabled: bool = True, file: TextIO | None = None, **tqdm_options: Any) -> Any:
    """A tqdm bar on a terminal, else a `Summary` (same `update`/`set_postfix`/`close`/iteration);
    `enabled=False` shows nothing at all. Close it (or use `with`, or iterate to the end)."""
    file = file if file is not None else sys.stderr
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if not enabled:
        return _Off(iterable, total, desc, unit, file)
    if not is_terminal(file):
        return Summary(iterable, total, desc, unit, file)
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=file, **tqdm_options)
