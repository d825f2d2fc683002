"""Head pose (yaw, pitch, roll in degrees) from landmarks with `cv2.solvePnP`.

Conventions, in the image as seen (so mirroring the image flips yaw and roll, not pitch):
yaw > 0 when the face turns towards the image's right side; pitch > 0 when it looks up;
roll > 0 when the head tilts clockwise in the image (its right-of-image eye lower).
The camera is a pinhole with focal length = the image's longer side, centred; the face
model is a generic adult head, so expect errors of 5-10 degrees even with perfect points.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..types import Faces

# Generic head, camera axes (x right, y down, z away from the camera), origin at the nose
# tip, millimetres: eye centres, nose tip, mouth corners in the ArcFace landmark order.
MODEL_5 = np.array([[-32.0, -33.0, 27.0], [32.0, -33.0, 27.0], [0.0, 0.0, 0.0],
                    [-28.0, 28.0, 24.0], [28.0, 28.0, 24.0]], np.float64)

# FaceMesh indices used to build the head's axes from its 468 (x, y, z) points.
MESH_EYE_OUTER = (33, 263)  # image-left and image-right outer eye corners of a frontal face
MESH_EYE_INNER = (133, 362)
MESH_FOREHEAD, MESH_CHIN = 10, 152
MESH_MOUTH = (61, 291)


def angles_from_rotation(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a model->camera rotation, in this module's conventions."""
    toward_camera = r @ np.array([0.0, 0.0, -1.0])  # the way the face looks
    yaw = math.degrees(math.atan2(toward_camera[0], -toward_camera[2]))
    pitch = math.degrees(math.atan2(-toward_camera[1], math.hypot(toward_camera[0], toward_camera[2])))
    across = r @ np.array([1.0, 0.0, 0.0])  # from the image-left eye to the image-right eye
    roll = math.degrees(math.atan2(across[1], across[0]))
    return yaw, pitch, roll


def pose_from_5(landmarks: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) of one face from its 5 ArcFace-order landmarks; NaNs if PnP fails."""
    h, w = image_size
    f = float(max(h, w))
    camera = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], np.float64)
    pts = np.asarray(landmarks, np.float64).reshape(5, 2)
    # Start from a frontal face at the distance its eye spacing implies: with only five
    # points the iterative solver otherwise may settle on the mirrored (behind-camera) pose.
    ied = max(float(np.linalg.norm(pts[1] - pts[0])), 1.0)
    z0 = f * 64.0 / ied
    centre = pts[2]
    tvec0 = np.array([(centre[0] - w / 2) * z0 / f, (centre[1] - h / 2) * z0 / f, z0], np.float64)
    rvec0 = np.zeros(3, np.float64)
    ok, rvec, _ = cv2.solvePnP(MODEL_5, pts, camera, None, rvec0.copy(), tvec0.copy(), True,
                               cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return math.nan, math.nan, math.nan
    return angles_from_rotation(cv2.Rodrigues(rvec)[0])


def pose_from_mesh(points: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) from one face's (468, 3) FaceMesh points (image pixels, z same scale).

    The mesh's own depth gives the head's axes directly (no 3D model needed): across =
    between the eyes' corners, down = forehead to chin made orthogonal to it.
    """
    p = np.asarray(points, np.float64)
    left = p[list(MESH_EYE_OUTER[:1] + MESH_EYE_INNER[:1])].mean(0)
    right = p[list(MESH_EYE_OUTER[1:] + MESH_EYE_INNER[1:])].mean(0)
    across = right - left
    across += p[MESH_MOUTH[1]] - p[MESH_MOUTH[0]]
    across /= np.linalg.norm(across)
    down = p[MESH_CHIN] - p[MESH_FOREHEAD]
    down -= across * (down @ across)
    down /= np.linalg.norm(down)
    away = np.cross(across, down)  # right-handed: x across, y down, z away from the camera
    r = np.stack([across, down, away], axis=1)
    return angles_from_rotation(r)


class PoseAssessor:
    """Adds `yaw`, `pitch`, `roll` (degrees) from the 5 landmarks every detector gives.

    When the faces already carry `landmarks_468` (the FaceMesh extra ran first), also adds
    `yaw_468`, `pitch_468`, `roll_468` from the dense mesh.
    """

    name = "pose"
    columns = ("yaw", "pitch", "roll")

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        angles = np.array([pose_from_5(lm, faces.image_size) for lm in faces.landmarks], np.float64).reshape(-1, 3)
        angles = np.round(angles, 1)  # degrees; the estimate is good to several degrees at best
        out = faces
        for j, key in enumerate(("yaw", "pitch", "roll")):
            out = out.with_column(key, angles[:, j])
        mesh = faces.columns.get("landmarks_468")
        if mesh is not None:
            dense = np.round(np.array([pose_from_mesh(m) for m in mesh], np.float64).reshape(-1, 3), 1)
            for j, key in enumerate(("yaw_468", "pitch_468", "roll_468")):
                out = out.with_column(key, dense[:, j])
        return out
