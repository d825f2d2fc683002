"""python -m faceprint.bench verification [--data DIR] [--speed-images N] [--json]"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..calibrate import default_data_dir


# Benchmark name -> the module in this package whose `run(args)` runs it (imported on use).
RUNNERS = {"verification": "verification", "quality": "quality", "cluster": "cluster", "classical": "classical",
           "serve": "serve", "explain": "explain", "gallery": "gallery",
           "liveness": "liveness", "compat": "compat", "video": "video",
           "dlib_onnx": "dlib_onnx", "routes": "routes", "index": "index", "keepalive": "keepalive",
           "blur": "blur", "encryption": "encryption", "accuracy": "accuracy"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faceprint.bench")
    sub = parser.add_subparsers(dest="name", required=True)
    p = sub.add_parser("verification", help="LFW View 2 10-fold accuracy and images/s of every pipeline, "
                       "against the dlib (face_recognition) pipeline in the same process")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--speed-images", type=int, default=200, help="images timed per pipeline (0: skip timing)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")
    q = sub.add_parser("quality", help="LFW View 2 Error-versus-Discard of face quality (PNG + numbers)")
    q.add_argument("--out", required=True, help="folder for evd_lfw.png and evd_lfw.json (not the repository)")
    q.add_argument("--data", default=str(default_data_dir()))
    q.add_argument("--model", default="accurate", help="pipeline whose scores are evaluated")
    q.add_argument("--folds", default=None, help="comma-separated View 2 folds (1-10); default all")
    q.add_argument("--repeats", type=int, default=1000, help="random-discard draws")
    q.add_argument("--workers", type=int, default=None)
    q.add_argument("--json", action="store_true")
    from .cluster import add_parser as add_cluster

    add_cluster(sub)
    from .classical import add_parser as add_classical

    add_classical(sub)
    from .serve import add_parser as add_serve

    add_serve(sub)
    from .liveness import add_parser as add_liveness

    add_liveness(sub)
    from .index import add_parser as add_index

    add_index(sub)
    from .explain import add_parser as add_explain

    add_explain(sub)
    from .video import add_parser as add_video

    add_video(sub)
    from .dlib_onnx import add_parser as add_dlib_onnx

    add_dlib_onnx(sub)
    from .routes import add_parser as add_routes

    add_routes(sub)
    g = sub.add_parser("gallery", help="gallery scale: enroll, exact vs faiss vs HNSW latency, recall, memory")
    from .gallery import add_arguments as add_gallery

    add_gallery(g)
    from .compat import add_parser as add_compat; add_compat(sub)  # noqa: E702
    from .keepalive import add_parser as add_keepalive; add_keepalive(sub)  # noqa: E702
    from .blur import add_parser as add_blur; add_blur(sub)  # noqa: E702
    from .encryption import add_parser as add_encryption; add_encryption(sub)  # noqa: E702
    from .accuracy import add_parser as add_accuracy; add_accuracy(sub)  # noqa: E702
    args = parser.parse_args(argv)
    return importlib.import_module(f"{__package__}.{RUNNERS[args.name]}").run(args)


if __name__ == "__main__":
    sys.exit(main())
