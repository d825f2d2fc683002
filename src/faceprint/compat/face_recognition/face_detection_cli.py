"""`face_detection IMAGE_TO_CHECK`: where are the faces?

face_recognition's tool, same options and output: one `file,top,right,bottom,left` line
per face (no upsampling, as there). Also `faceprint compat face_detection ...`. faceprint
adds `--model yunet` (a faster detector) and refuses an unknown model name instead of
silently using "hog"; an unreadable photo is one line on stderr and exit code 2 at the end.
"""

from __future__ import annotations

import os

import click

from ...errors import FaceprintError
from . import api as face_recognition
from ._cli_common import IMAGE_NAME, cpus_option_check, report_bad_file, run_all

TOOL = "face_detection"


def print_result(filename: str, location: tuple[int, int, int, int]) -> None:
    top, right, bottom, left = location
    print(f"{filename},{top},{right},{bottom},{left}")


def test_image(image_to_check: str, model: str) -> bool:
    """Print the faces of one photo; False when it could not be read."""
    try:
        unknown_image = face_recognition.load_image_file(image_to_check)
    except FaceprintError as e:
        report_bad_file(TOOL, e)
        return False
    for location in face_recognition.face_locations(unknown_image, number_of_times_to_upsample=0, model=model):
        print_result(image_to_check, location)
    return True


test_image.__test__ = False  # a tool, not a pytest test, whatever imports it


def image_files_in_folder(folder: str) -> list[str]:
    """Image files directly in `folder` (not below, as face_recognition), in sorted order."""
    return [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if IMAGE_NAME.match(f)]


@click.command()
@click.argument("image_to_check")
@click.option("--cpus", default=1, help='number of CPU cores to use in parallel. -1 means "use all in system"')
@click.option("--model", default="hog", type=click.Choice(face_recognition.DETECTORS),
              help='Which face detection model to use. Options are "hog" or "cnn", and "yunet" (faster; '
                   "added by faceprint).")
def main(image_to_check: str, cpus: int, model: str) -> None:
    cpus = cpus_option_check(cpus)
    images = image_files_in_folder(image_to_check) if os.path.isdir(image_to_check) else [image_to_check]
    if not run_all(test_image, [(image, model) for image in images], cpus):
        raise SystemExit(2)


if __name__ == "__main__":
    main()
