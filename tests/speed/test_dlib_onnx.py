"""dlib's ResNet rebuilt as ONNX from the .dat file gives dlib's own descriptors."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import ModelFileError
from faceprint.models.catalog import DLIB_RESNET
from faceprint.models.files import locate


@pytest.fixture(scope="module")
def dat_path():
    return locate(DLIB_RESNET.files[0])


@pytest.fixture(scope="module")
def onnx_embedder():
    from faceprint.embedders.dlib_onnx import DlibResNetOnnxEmbedder

    return DlibResNetOnnxEmbedder(precision="f32")  # the port is checked on fp32 arithmetic


def _chips(images):
    from faceprint.detectors.yunet import YuNetDetector
    from faceprint.embedders.dlib_resnet import DlibChips

    detector, chipper, chips = YuNetDetector(), DlibChips(), []
    for image in images:
        faces = detector.detect(image)
        chips += chipper(image, faces)
    return chips


def test_descriptors_equal_dlib(astronaut, shared_data, onnx_embedder, dat_path):
    import dlib

    from faceprint.image import load_image

    paths = sorted((shared_data / "lfw_deepfunneled" / "images").glob("*/*_0001.jpg"))[::700][:6]
    chips = _chips([astronaut, *(load_image(p) for p in paths)])
    assert len(chips) >= 6
    net = dlib.face_recognition_model_v1(str(dat_path))
    ref = np.array([np.asarray(d) for d in net.compute_face_descriptor(chips)], np.float32)
    batch = np.stack(chips).astype(np.float32)
    out = onnx_embedder._net(batch)
    assert np.abs(out - ref).max() < 1e-4
    one = onnx_embedder._net(batch[:1])
    assert np.abs(one[0] - ref[0]).max() < 1e-4  # a batch of one is the same network


def test_registered_backend_and_flip_in_one_batch(astronaut):
    from faceprint.embedders.base import merge_flipped, mirror
    from faceprint.embedders.dlib_onnx import DlibResNetOnnxEmbedder
    from faceprint.models.registry import make_detector, make_embedder

    emb = make_embedder("dlib-resnet", flip=True)
    (net,) = emb.networks()
    assert isinstance(net, DlibResNetOnnxEmbedder)
    faces = make_detector("yunet").detect(astronaut)
    got = emb.embed(astronaut, faces)
    crops = net.crop(astronaut, faces)
    want = merge_flipped(net.embed_crops(crops), net.embed_crops(mirror(crops)))
    assert got.shape == (len(faces), 128)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_reader_refuses_truncated_and_foreign_files(tmp_path, dat_path):
    from faceprint.models.dlib_dat import read_dlib_net

    data = dat_path.read_bytes()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="cut.dat"):
        read_dlib_net(cut)
    other = tmp_path / "predictor.dat"
    other.write_bytes(locate(DLIB_RESNET.files[1]).read_bytes()[:4096])  # the 5-point predictor: not a network
    with pytest.raises(ModelFileError):
        read_dlib_net(other)


def test_reader_sees_dlibs_architecture(dat_path):
    from faceprint.models.dlib_dat import read_dlib_net

    layers = read_dlib_net(dat_path)
    kinds = [layer.kind for layer in layers]
    assert kinds[0] == "input" and layers[0].attrs["rows"] == 150
    assert kinds.count("con") == 29 and kinds.count("add_prev") == 14  # ResNet-29: 14 residual blocks
    assert layers[-2].kind == "fc" and layers[-2].weights["weights"].shape == (256, 128)
    assert layers[-1].attrs["distance_threshold"] == pytest.approx(0.6)
