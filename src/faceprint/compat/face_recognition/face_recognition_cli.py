"""`face_recognition KNOWN_PEOPLE_FOLDER IMAGE_TO_CHECK`: who is in each photo?

face_recognition's tool, same options and output: one `file,name` line per face found
(`file,name,distance` with --show-distance 1), `unknown_person` when nobody is within the
tolerance, `no_persons_found` when the photo has no face. Also `faceprint compat
face_recognition ...`. faceprint adds `--model yunet` (a faster detector); an unreadable
photo is one line on stderr and exit code 2 at the end instead of a traceback.
"""

from __future__ import annotations

import os

import click
import numpy as np

from ...errors import FaceprintError
from . import api as face_recognition
from ._cli_common import IMAGE_NAME, cpus_option_check, report_bad_file, run_all

TOOL = "face_recognition"
MAX_SIDE = 1600  # face_recognition shrinks bigger photos to check (not the known people) to this


def image_files_in_folder(folder: str) -> list[str]:
    """Image files under `folder`, recursively (as face_recognition), in sorted order."""
    return sorted(os.path.join(root, f) for root, _, files in os.walk(folder) for f in files if IMAGE_NAME.match(f))


def scan_known_people(known_people_folder: str, model: str = "hog") -> tuple[list[str], list[np.ndarray]]:
    """(names, encodings): each image's file name (without extension) and its first face."""
    known_names, known_face_encodings = [], []
    for file in image_files_in_folder(known_people_folder):
        basename = os.path.splitext(os.path.basename(file))[0]
        try:
            img = face_recognition.load_image_file(file)
        except FaceprintError as e:
            click.echo(f"WARNING: {e}. Ignoring file.")
            continue
        encodings = face_recognition._encodings_of_detected(img, model)
        if len(encodings) > 1:
            click.echo(f"WARNING: More than one face found in {file}. Only considering the first face.")
        if not encodings:
            click.echo(f"WARNING: No faces found in {file}. Ignoring file.")
        else:
            known_names.append(basename)
            known_face_encodings.append(encodings[0])
    return known_names, known_face_encodings


def print_result(filename: str, name: str, distance: object, show_distance: bool = False) -> None:
    print(f"{filename},{name},{distance}" if show_distance else f"{filename},{name}")


def _shrunk(image: np.ndarray) -> np.ndarray:
    """Photos bigger than MAX_SIDE are shrunk as face_recognition does (Pillow thumbnail, Lanczos)."""
    if max(image.shape) <= MAX_SIDE:
        return image
    from PIL import Image

    pil = Image.fromarray(image)
    pil.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    return np.array(pil)


def test_image(image_to_check: str, known_names: list[str], known_face_encodings: list[np.ndarray],
               tolerance: float = 0.6, show_distance: bool = False, model: str = "hog") -> bool:
    """Print who is in one photo; False when the photo could not be read."""
    try:
        unknown_image = _shrunk(face_recognition.load_image_file(image_to_check))
    except FaceprintError as e:
        report_bad_file(TOOL, e)
        return False
    unknown_encodings = face_recognition._encodings_of_detected(unknown_image, model)
    for unknown_encoding in unknown_encodings:
        distances = face_recognition.face_distance(known_face_encodings, unknown_encoding)
        matches = list(distances <= tolerance)
        if True in matches:
            for is_match, name, distance in zip(matches, known_names, distances):
                if is_match:
                    print_result(image_to_check, name, distance, show_distance)
        else:
            print_result(image_to_check, "unknown_person", None, show_distance)
    if not unknown_encodings:
        print_result(image_to_check, "no_persons_found", None, show_distance)
    return True


test_image.__test__ = False  # a tool, not a pytest test, whatever imports it


@click.command()
@click.argument("known_people_folder")
@click.argument("image_to_check")
@click.option("--cpus", default=1, help='number of CPU cores to use in parallel (can speed up processing lots '
              'of images). -1 means "use all in system"')
@click.option("--tolerance", default=0.6, help="Tolerance for face comparisons. Default is 0.6. Lower this if "
              "you get multiple matches for the same person.")
@click.option("--show-distance", default=False, type=bool, help="Output face distance. Useful for tweaking "
              "tolerance setting.")
@click.option("--model", default="hog", type=click.Choice(face_recognition.DETECTORS),
              help='Which face detection model to use: "hog" (default), "cnn" (slow) or "yunet" (faster; '
                   "added by faceprint).")
def main(known_people_folder: str, image_to_check: str, cpus: int, tolerance: float, show_distance: bool,
         model: str) -> None:
    cpus = cpus_option_check(cpus)
    known_names, known_face_encodings = scan_known_people(known_people_folder, model)
    images = image_files_in_folder(image_to_check) if os.path.isdir(image_to_check) else [image_to_check]
    jobs = [(image, known_names, known_face_encodings, tolerance, show_distance, model) for image in images]
    if not run_all(test_image, jobs, cpus):
        raise SystemExit(2)


if __name__ == "__main__":
    main()
