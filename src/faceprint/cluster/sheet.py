"""The contact sheet: `OUT_DIR/index.html`, one section of face thumbnails per person.

Biggest clusters first, faces seen only once last. Every thumbnail links to its photo
(a relative link, so the folder can be moved together with the photos). Thumbnails are
written once to `OUT_DIR/thumbs/` under their content digest, so reruns only add new ones.
The page is static HTML with no script: it opens from disk in any browser.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

THUMB_DIR = "thumbs"


@dataclass(frozen=True)
class SheetFace:
    file: str  # relative to the photo folder, "/" separators
    index: int  # face index in the photo, largest first
    digest: str
    cluster: int | str
    confidence: float | None
    thumb: bytes  # JPEG

    @property
    def thumb_name(self) -> str:
        return f"{THUMB_DIR}/{self.digest[:20]}_{self.index}.jpg"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.2em;background:#fafafa;color:#222}
h1{font-size:1.4em;margin:.2em 0} h2{font-size:1.1em;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}
.meta{color:#666;font-size:.9em} nav a{margin-right:.6em;white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:4px} .grid a{display:block;line-height:0}
.grid img{width:96px;height:96px;border-radius:4px;object-fit:cover;background:#ddd}
code{background:#eee;padding:0 .3em;border-radius:3px}
"""


def _label(cluster: int | str) -> str:
    return cluster if isinstance(cluster, str) else f"Person {cluster}"


def write_sheet(out_dir: str | os.PathLike[str], photos_dir: str | os.PathLike[str], faces: Sequence[SheetFace], *,
                title: str = "faceprint clusters", note: str = "") -> Path:
    """Write thumbnails and `index.html` into `out_dir`; returns the page's path."""
    out = Path(out_dir)
    (out / THUMB_DIR).mkdir(parents=True, exist_ok=True)
    for f in faces:
        path = out / f.thumb_name
        if not path.exists():
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(f.thumb)
            os.replace(tmp, path)
    photo_link = Path(os.path.relpath(Path(photos_dir).resolve(), out.resolve())).as_posix()

    groups: dict[int | str, list[SheetFace]] = {}
    for f in faces:
        groups.setdefault(f.cluster, []).append(f)
    people = sorted((c for c in groups if len(groups[c]) > 1), key=lambda c: (-len(groups[c]), str(c)))
    singles = [groups[c][0] for c in groups if len(groups[c]) == 1]
    singles.sort(key=lambda f: (f.file, f.index))

    def tile(f: SheetFace) -> str:
        conf = "" if f.confidence is None else f", mean similarity to the others {f.confidence:.2f}"
        tip = f"{f.file} face {f.index} ({_label(f.cluster)}{conf})"
        href = quote(f"{photo_link}/{f.file}" if photo_link != "." else f.file)
        return (f'<a href="{html.escape(href)}" title="{html.escape(tip)}">'
                f'<img src="{html.escape(quote(f.thumb_name))}" loading="lazy" alt="{html.escape(tip)}" '
                f'data-face="{html.escape(f.file)}#{f.index}" data-cluster="{html.escape(str(f.cluster))}"></a>')

    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>",
             f"<meta name=viewport content='width=device-width'><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p class=meta>{len(faces)} faces; {len(people)} people seen more than once; "
             f"{len(singles)} faces seen once. {html.escape(note)}</p>"]
    if people:
        nav = " ".join(f'<a href="#c-{html.escape(quote(str(c)))}">{html.escape(_label(c))} ({len(groups[c])})</a>'
                       for c in people)
        parts.append(f"<nav>{nav}" + (' <a href="#singles">seen once</a>' if singles else "") + "</nav>")
    for c in people:
        members = sorted(groups[c], key=lambda f: (-(f.confidence or 0.0), f.file, f.index))
        parts.append(f'<section id="c-{html.escape(quote(str(c)))}"><h2>{html.escape(_label(c))} '
                     f"<span class=meta>{len(members)} faces"
                     + (f" &middot; name it: <code>--name {c}=NAME</code>" if isinstance(c, int) else "")
                     + "</span></h2><div class=grid>" + "".join(tile(f) for f in members) + "</div></section>")
    if singles:
        parts.append(f'<section id="singles"><h2>Seen once <span class=meta>{len(singles)} faces</span></h2>'
                     "<div class=grid>" + "".join(tile(f) for f in singles) + "</div></section>")
    parts.append("</body></html>\n")
    page = out / "index.html"
    tmp = page.with_name("index.html.tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    os.replace(tmp, page)
    return page
