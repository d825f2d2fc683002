"""Privacy: cover faces before sharing (blur), protect stored templates, forget, audit.

- `detect.RecallDetector`: face detection tuned to miss as little as possible (lower score
  threshold, a second pass on an upscaled image for small faces, enlarged margins).
- `cover`: the cover methods (gaussian, pixelate, solid, mask) applied to boxes.
- `photo.blur_photo` / `video.blur_video`: the jobs behind `faceprint blur` and `POST /v1/blur`.

Nothing is loaded at import; models load when a detector is built.
"""
