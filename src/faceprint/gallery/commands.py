"""The gallery's command-line verbs: `enroll`, `identify`, `gallery list|show|remove|export|import`.

`register(subparsers)` adds them to the `faceprint` parser. Same conventions as the rest of
the CLI (`faceprint.cli.exits`): `--json` prints JSON Lines, exit 0 done / 2 bad input or a
gallery fault, errors are one line on stderr; `identify` answers every photo and exits 2 if any
failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli.exits import OK as EXIT_OK
from ..cli.options import add_fmr, add_json, add_model, add_threshold, int_at_least
from ..cli.output import Batch, emit
from ..errors import FaceprintError, GalleryError, InputError, ModelMismatchError

GALLERY_HELP = "gallery: a file path (embedded SQLite store), milvus://host:port/collection, or milvus-lite:PATH.db"


def _open(args: argparse.Namespace, *, create: bool = False) -> Any:
    from . import open_gallery

    analyzer = None
    if getattr(args, "model", None):
        from ..pipeline import Analyzer

        analyzer = Analyzer.from_name(args.model)
    return open_gallery(args.gallery, analyzer, create=create, score_rule=getattr(args, "score_rule", None),
                        key_file=getattr(args, "key_file", None))


class _Audit:
    """`--audit-log PATH`: one record per enroll, remove, export, import or searched photo (privacy/audit.py)."""

    def __init__(self, args: argparse.Namespace, command: str, gallery: str | None = None) -> None:
        self.log = None
        self.command = command
        if getattr(args, "audit_log", None):
            from ..privacy.audit import AuditLog, cli_actor

            self.log = AuditLog(args.audit_log)
            self.who = cli_actor()
            self.gallery = gallery or args.gallery

    def __call__(self, action: str, identity: str | None = None, outcome: str = "ok", **extra: Any) -> None:
        if self.log is not None:
            self.log.record(**self.who, via="cli", route=self.command, action=action, identity=identity,
                            outcome=outcome, gallery=self.gallery, **extra)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> "_Audit":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _metadata(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--meta expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


# -- enroll ------------------------------------------------------------------------------
def cmd_enroll(args: argparse.Namespace) -> int:
    from .gate import EnrolmentGate

    if args.from_dir or args.labels:
        from ..index.commands import enroll_from  # bulk, from `faceprint index` output

        with _Audit(args, "faceprint enroll --from") as audit:
            return enroll_from(args, _open, audit)
    if not args.name or not args.images:
        raise InputError("enroll needs NAME and at least one IMAGE (or --from DIR --labels CSV)")
    metadata = _metadata(args.meta)
    gate = EnrolmentGate(args.quality_filter, args.require_live, args.refuse_duplicate)
    with _Audit(args, "faceprint enroll") as audit:
        try:
            with _open(args, create=True) as gallery:
                result = gallery.enroll(args.name, args.images, metadata=metadata, append=args.append, gate=gate)
        except FaceprintError as e:
            audit("enroll", args.name, e.code)
            raise
        audit("enroll", result.identity.name, photos=len(args.images))
    rec = {"gallery": args.gallery, **result.to_dict(), "warnings": gate.warnings}
    for w in gate.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.json:
        emit(rec)
    else:
        print(f"enrolled {rec['identity']!r}: {rec['added']} template(s) added, {rec['templates']} in total "
              f"({rec['model']})")
        for p in rec["photos"]:
            note = f"{p['faces_found']} faces, used the largest" if p["face_rule"] == "largest" else "1 face"
            print(f"  {p['file']}: {note}, box {p['box']}")
    return EXIT_OK


# -- identify ----------------------------------------------------------------------------
def cmd_identify(args: argparse.Namespace) -> int:
    batch = Batch(args)
    with _Audit(args, "faceprint identify") as audit, _open(args) as gallery:
        gallery.analyzer()
        threshold = gallery.threshold(args.fmr, args.threshold)  # resolved once: a usage error before any work
        for path in args.images:
            try:
                answers = gallery.identify(path, top=args.top, threshold=threshold)
            except (GalleryError, ModelMismatchError) as e:
                audit("search", outcome=e.code)
                raise  # about the gallery, not this photo: stop
            except FaceprintError as e:
                audit("search", outcome=e.code)
                batch.fail({"file": path}, e)
                continue
            audit("search", identities=sorted({a.identity for a in answers if a.identity}), faces=len(answers))
            for a in answers:
                rec = {"file": path, **a.to_dict()}
                if args.json:
                    emit(rec)
                else:
                    _print_answer(rec)
    return batch.code


def _print_answer(rec: dict[str, Any]) -> None:
    rate = f"FMR {rec['fmr']:g}" if rec["fmr"] is not None else "threshold given by hand"
    head = f"{rec['file']}: face {rec['face']} {rec['box']}: "
    if rec["identity"] is not None:
        print(f"{head}{rec['identity']} (similarity {rec['similarity']:.4f} >= {rec['threshold']:.4f}, {rate})")
    elif rec["candidates"]:
        best = rec["candidates"][0]
        print(f"{head}unknown (best {best['identity']} {best['similarity']:.4f} < {rec['threshold']:.4f}, {rate})")
    else:
        print(f"{head}unknown (the gallery is empty)")
    for c in rec["candidates"][1:]:
        print(f"    {c['identity']} {c['similarity']:.4f}")


# -- gallery -----------------------------------------------------------------------------
def cmd_gallery(args: argparse.Namespace) -> int:
    action = args.action
    with _Audit(args, f"faceprint gallery {action}") as audit:
        try:
            return _gallery_action(args, action, audit)
        except FaceprintError as e:
            if action in ("remove", "export", "import"):
                audit(action, getattr(args, "name", None), e.code)
            raise


def _gallery_action(args: argparse.Namespace, action: str, audit: "_Audit") -> int:
    with _open(args, create=action == "import") as gallery:
        if action == "list":
            rows = [i.to_dict() for i in gallery.identities()]
            meta = gallery.meta
            if args.json:
                for r in rows:
                    emit(r)
            else:
                what = f"{meta.model_id}, score rule {meta.score_rule}" if meta else "empty"
                print(f"{args.gallery}: {len(rows)} identities ({what})")
                for r in rows:
                    print(f"  {r['identity']}: {r['templates']} template(s)"
                          + (f" {json.dumps(r['metadata'], ensure_ascii=False)}" if r["metadata"] else ""))
        elif action == "show":
            rec = gallery.show(args.name).to_dict()
            if args.json:
                emit(rec)
            else:
                print(f"{rec['identity']}: {rec['templates']} template(s), enrolled {rec['created']}")
                for k, v in rec["metadata"].items():
                    print(f"  {k} = {v}")
                for t in rec.get("template_list", []):
                    print(f"  #{t['id']} {t['source'] or '(vector)'} box={t['box']}")
        elif action == "remove":
            info = gallery.remove(args.name)
            audit("remove", info.name, templates=info.n_templates)
            rec = {"removed": info.name, "templates": info.n_templates}
            if getattr(gallery.store, "purged", True) is False:
                print("warning: " + getattr(gallery.store, "purge_warning", "another process is reading the gallery, "
                      "so its write-ahead log still holds the removed rows until that reader closes and the next "
                      "write checkpoints it"), file=sys.stderr)
            emit(rec) if args.json else print(f"removed {info.name!r} ({info.n_templates} template(s))")
        elif action == "export":
            n = gallery.export(args.file)
            audit("export", identities=n)
            rec = {"exported": n, "file": args.file}
            emit(rec) if args.json else print(f"wrote {n} identities to {args.file}")
        elif action == "import":
            n = gallery.import_file(args.file)
            audit("import", identities=n)
            rec = {"imported": n, "file": args.file, "gallery": args.gallery}
            emit(rec) if args.json else print(f"imported {n} identities from {args.file} into {args.gallery}")
    return EXIT_OK


# -- parser ------------------------------------------------------------------------------
_top = int_at_least(1, "--top")


def register(sub: Any) -> None:
    """Add `enroll`, `identify` and `gallery` to the `faceprint` subcommands."""
    def common(p: argparse.ArgumentParser, model: bool = True) -> None:
        p.add_argument("--gallery", "-g", required=True, metavar="G", help=GALLERY_HELP)
        p.add_argument("--audit-log", metavar="PATH", help="append who enrolled, removed, exported or searched "
                       "to PATH (JSON Lines, 0600; no images or templates)")
        p.add_argument("--key-file", metavar="PATH", help="the gallery's encryption key (base64, 32 bytes; "
                       "default $FACEPRINT_GALLERY_KEY); a new gallery is made encrypted; see docs/privacy.md")
        if model:
            add_model(p, default_note="default: the gallery's, or the default pipeline for a new gallery; "
                                      "a different model than the gallery's is refused")
        add_json(p, "machine-readable JSON Lines")

    text = "enroll one identity from one or more photos (the largest face of each); all or nothing"
    p = sub.add_parser("enroll", help=text, description=text)
    p.set_defaults(func=cmd_enroll)
    common(p)
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.add_argument("--append", action="store_true", help="add the photos to an identity that is already enrolled")
    p.add_argument("--quality-filter", choices=("none", "low", "medium", "high"), default="none",
                   help="refuse photos whose face is too small, blurred, dark, turned or has closed eyes "
                   "(AWS IndexFaces' levels; see docs/liveness.md for how each was set); default none")
    p.add_argument("--require-live", action="store_true", help="refuse photos the passive liveness model "
                   "judges a photo of a photo or a screen")
    p.add_argument("--refuse-duplicate", action="store_true", help="refuse (instead of warning about) a face "
                   "already enrolled under another name at the FMR 1e-4 threshold")
    p.add_argument("--from", dest="from_dir", metavar="DIR", help="bulk: the faces of an index (faceprint index)")
    p.add_argument("--labels", metavar="CSV", help="with --from: columns path,name (or identity); largest face each")
    p.add_argument("--meta", action="append", metavar="KEY=VALUE", help="metadata stored with the identity")
    p.add_argument("--score-rule", choices=("max", "mean"), default=None,
                   help="how several templates of one identity score, for a new gallery (default max)")

    text = "who is in the photo? one answer per face (largest first): the best identity or unknown"
    p = sub.add_parser("identify", help=text, description=text)
    p.set_defaults(func=cmd_identify)
    common(p)
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--top", type=_top, default=1, help="candidates listed per face (default 1)")
    add_fmr(p, "per comparison the threshold is calibrated for")
    add_threshold(p)

    text = "inspect and manage a gallery: list, show NAME, remove NAME, export FILE, import FILE"
    p = sub.add_parser("gallery", help=text, description=text)
    p.set_defaults(func=cmd_gallery)
    common(p, model=False)
    # --json is accepted after the action too (`gallery -g G list --json`); SUPPRESS keeps the outer value.
    json_too = argparse.ArgumentParser(add_help=False)
    json_too.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_, arg in (("list", "enrolled identities", None),
                             ("show", "one identity, its metadata and templates", "name"),
                             ("remove", "delete an identity and its templates", "name"),
                             ("export", "write the gallery as JSON Lines", "file"),
                             ("import", "add the identities of an export (all or none)", "file")):
        a = actions.add_parser(name, help=help_, description=help_, parents=[json_too])
        if arg:
            a.add_argument(arg, metavar=arg.upper())


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the `faceprint` command")
