"""Face detectors: each turns an RGB image into `Faces` (boxes, 5 landmarks, scores)."""
