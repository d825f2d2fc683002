"""`faceprint serve` and `faceprint keys create|list|revoke`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..cli.exits import OK as EXIT_OK
from ..cli.options import add_model, float_in, int_at_least
from ..errors import InputError


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401 - only to say which extra is missing

        from .app import Service, create_app
    except ImportError as e:
        raise InputError(f"the service needs its extras ({e.name} is missing): pip install 'faceprint[serve]'") from None
    from .config import ConnectionLimits, Limits, ServeConfig
    from .server import run

    limits = Limits(max_body_bytes=args.max_body_mb * 1024 * 1024, max_pixels=args.max_pixels,
                    max_faces=args.max_faces, timeout_s=args.timeout, max_concurrent=args.concurrency)
    connections = ConnectionLimits(header_timeout_s=args.header_timeout, body_timeout_s=args.body_timeout,
                                   keep_alive_s=args.keep_alive, max_connections=args.max_connections)
    config = ServeConfig(model=args.model, gallery=args.gallery, keys=args.keys, key_file=args.key_file,
                         auth=not args.no_auth, host=args.host, index=args.index, limits=limits, connections=connections,
                         allowed_hosts=tuple(args.allowed_host))
    # One Service (key store, models, gallery) for the whole run. It opens here, before the
    # server starts, so a bad model name or a gallery made by another model is one clear
    # line and exit 2, not a failed lifespan; the app's lifespan then finds it open.
    service = Service(config)
    config.check_exposure(service.keys.any())
    service.open()
    try:
        keys, analyzer = service.keys, service.analyzer
        auth = ("API key required" if config.auth and keys.required()
                else "--no-auth: open to this machine" if not config.auth else "no API keys: open to this machine only")
        shown = "localhost" if config.host in ("127.0.0.1", "::1") else config.host
        print(f"faceprint: serving http://{shown}:{args.port}/  (model {analyzer.calibration_name}, "
              f"gallery {config.gallery_uri()} with {len(service.gallery)} identities, {auth}; API docs at /docs)",
              file=sys.stderr, flush=True)
        app = create_app(service=service)
        if args.audit_log:  # who enrolled, removed or searched (docs/privacy.md)
            from .audit_trail import install_audit; install_audit(app, args.audit_log)  # noqa: E702
        run(app, config, args.port, args.log_level)
    finally:
        service.close()
    return EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    from ..cli.output import emit as _emit
    from .config import default_keys
    from .keys import KeyStore

    store = KeyStore(args.keys or default_keys())
    if args.action == "create":
        if not args.name:
            raise InputError("keys create needs a NAME")
        key = store.create(args.name)
        if args.json:
            _emit({"name": args.name, "key": key, "file": str(store.path)})
        else:
            print(key)
            print(f"(key {args.name!r} stored as a hash in {store.path}; this is the only time it is shown)",
                  file=sys.stderr)
    elif args.action == "list":
        for entry in store.names():
            _emit(entry) if args.json else print(f"{entry['name']}\t{entry['hint']}\t{entry['created']}")
    else:
        if not args.name:
            raise InputError("keys revoke needs a NAME")
        store.revoke(args.name)
        _emit({"revoked": args.name}) if args.json else print(f"revoked {args.name!r}")
    return EXIT_OK


def register(subparsers: Any) -> None:
    from .config import ConnectionLimits, Limits  # stdlib only: the parser stays light

    lim, conn = Limits(), ConnectionLimits()  # the options' defaults are the library's

    help_ = "run the HTTP API and web page (models loaded once; see /docs)"
    p = subparsers.add_parser("serve", help=help_, description=help_)
    p.set_defaults(func=cmd_serve)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int_at_least(0, "a port"), default=8000)
    add_model(p)
    p.add_argument("--gallery", default=None, help="gallery path or URI (default: $FACEPRINT_HOME/gallery.db, "
                   "i.e. ~/.local/share/faceprint/gallery.db)")
    p.add_argument("--keys", default=None, help="API key file (default: $FACEPRINT_KEYS or "
                   "~/.local/share/faceprint/keys.json)")
    p.add_argument("--key-file", metavar="PATH", help="the gallery's encryption key (base64, 32 bytes; default "
                   "$FACEPRINT_GALLERY_KEY), never in the gallery's own folder; see docs/privacy.md")
    p.add_argument("--index", choices=("auto", "exact", "pq", "hnsw"), default="auto",
                   help="gallery search: exact (auto), or pq for galleries of a million or more (built at start)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a host name clients reach this service by, besides loopback and --host (repeatable); "
                        "requests for any other Host get 421")
    p.add_argument("--no-auth", action="store_true", help="ignore API keys (only allowed on a loopback host)")
    p.add_argument("--max-body-mb", type=int_at_least(1, "--max-body-mb"), default=lim.max_body_bytes // 2**20,
                   metavar="MB", help=f"largest request body (default {lim.max_body_bytes // 2**20})")
    p.add_argument("--max-pixels", type=int_at_least(1, "--max-pixels"), default=lim.max_pixels, metavar="N",
                   help=f"largest decoded image (default {lim.max_pixels:,})")
    p.add_argument("--max-faces", type=int_at_least(1, "--max-faces"), default=lim.max_faces, metavar="N",
                   help=f"faces answered per image, largest first (default {lim.max_faces})")
    p.add_argument("--timeout", type=float_in(0, 3600, "--timeout", high_inclusive=True), default=lim.timeout_s,
                   metavar="S", help=f"seconds per request, queueing included (default {lim.timeout_s:g})")
    p.add_argument("--concurrency", type=int_at_least(1, "--concurrency"), default=lim.max_concurrent, metavar="N",
                   help=f"model inferences run at once (default {lim.max_concurrent}: the CPUs, at most 4); "
                        f"{lim.max_queued} more wait, beyond that 503 busy")
    p.add_argument("--header-timeout", type=float_in(0, 3600, "--header-timeout", high_inclusive=True),
                   default=conn.header_timeout_s, metavar="S",
                   help=f"seconds a client has to send its request line and headers (default {conn.header_timeout_s:g}; "
                        "then 408, or a silent close when nothing was sent)")
    p.add_argument("--body-timeout", type=float_in(0, 3600, "--body-timeout", high_inclusive=True),
                   default=conn.body_timeout_s, metavar="S",
                   help=f"longest pause within a request body, in seconds (default {conn.body_timeout_s:g}; then 408)")
    p.add_argument("--keep-alive", type=float_in(0, 3600, "--keep-alive", high_inclusive=True),
                   default=conn.keep_alive_s, metavar="S",
                   help=f"seconds an idle connection stays open between requests (default {conn.keep_alive_s:g})")
    p.add_argument("--max-connections", type=int_at_least(1, "--max-connections"), default=conn.max_connections,
                   metavar="N", help=f"open connections at once; more are answered 503 busy (default {conn.max_connections})")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--audit-log", metavar="PATH", help="append who enrolled, removed or searched to PATH (JSON Lines, 0600)")

    help_ = "manage the service's API keys (only their hashes are stored)"
    p = subparsers.add_parser("keys", help=help_, description=help_)
    p.set_defaults(func=cmd_keys)
    p.add_argument("action", choices=("create", "list", "revoke"))
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--keys", default=None, help="key file (default: $FACEPRINT_KEYS or ~/.local/share/faceprint/keys.json)")
    p.add_argument("--json", action="store_true")
