"""Detection metrics: IoU, VOC greedy matching, AP and the TP-vs-FP curve on hand-worked boxes."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import InputError
from faceprint.evaluate.detection import Matches, average_precision, iou, match_detections, tp_fp_curve


def test_iou_hand_worked():
    a = [[0, 0, 2, 2]]
    b = [
        [1, 1, 3, 3],  # overlap 1x1 = 1; union 4 + 4 - 1 = 7
        [2, 2, 3, 3],  # touches a corner only: 0
        [0, 0, 2, 2],  # identical: 1
        [0, 0, 1, 2],  # inside, half the area: 2 / 4
    ]
    np.testing.assert_allclose(iou(a, b), [[1 / 7, 0, 1, 0.5]])
    assert iou(a, b).shape == (1, 4) and iou(b, a).shape == (4, 1)


def test_iou_degenerate_and_empty():
    assert iou([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0, 0] == 0.0  # zero-area: empty union -> 0
    assert iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


# Image 1: faces G0 = [0,0,10,10] and G1 = [20,0,30,10].
GT1 = [[0, 0, 10, 10], [20, 0, 30, 10]]
PRED1 = [
    [0, 0, 10, 10],  # .9  -> G0, IoU 1: TP
    [1, 0, 11, 10],  # .8  -> G0 again (IoU 90/110 = .82): duplicate FP
    [20, 0, 30, 10],  # .7 -> G1: TP
    [50, 50, 60, 60],  # .95 -> nothing: FP
]
SCORES1 = [0.9, 0.8, 0.7, 0.95]


def test_match_detections_hand_worked():
    m = match_detections(PRED1, SCORES1, GT1)
    assert m.tp.tolist() == [True, False, True, False]
    assert m.gt_index.tolist() == [0, -1, 1, -1]
    assert m.n_gt == 2


def test_match_detections_lower_score_loses_the_face():
    # same two boxes with swapped scores: the shifted box now comes first and takes G0
    m = match_detections(PRED1[:2], [0.8, 0.9], GT1[:1])
    assert m.tp.tolist() == [False, True]


def test_match_detections_voc_rule_no_second_choice():
    # G0 = [0,0,10,10], G1 = [5,0,15,10]. D_a = G0 (.9) takes G0.
    # D_b = [2,0,12,10] (.8): IoU G0 80/120 = .67 (best, taken), G1 70/130 = .54 >= .5 but not
    # tried under VOC -> FP
    m = match_detections([[0, 0, 10, 10], [2, 0, 12, 10]], [0.9, 0.8], [[0, 0, 10, 10], [5, 0, 15, 10]])
    assert m.tp.tolist() == [True, False]


def test_match_detections_iou_threshold_inclusive():
    # IoU exactly .5 ([0,0,1,2] inside [0,0,2,2]) is a match at iou_thr .5, not at .51
    assert match_detections([[0, 0, 1, 2]], [1.0], [[0, 0, 2, 2]]).tp[0]
    assert not match_detections([[0, 0, 1, 2]], [1.0], [[0, 0, 2, 2]], iou_thr=0.51).tp[0]


def test_match_detections_empty_sides():
    m = match_detections(np.zeros((0, 4)), [], GT1)
    assert m.tp.size == 0 and m.n_gt == 2
    m = match_detections(PRED1, SCORES1, [])
    assert not m.tp.any() and m.n_gt == 0


def _dataset():
    return [
        match_detections(PRED1, SCORES1, GT1),
        match_detections([[0, 0, 10, 10]], [0.85], [[0, 0, 10, 10]]),  # TP
        match_detections([[0, 0, 5, 5]], [0.75], []),  # image without faces: FP
    ]


def test_tp_fp_curve_hand_worked():
    # pooled by falling score: .95 FP, .9 TP, .85 TP, .8 FP, .75 FP, .7 TP
    fp, tp, thr = tp_fp_curve(_dataset())
    np.testing.assert_allclose(thr, [np.inf, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7])
    assert fp.tolist() == [0, 1, 1, 1, 2, 3, 3]
    assert tp.tolist() == [0, 0, 1, 2, 2, 2, 3]


def test_average_precision_hand_worked():
    # n_gt = 3. precision 0, 1/2, 2/3, 1/2, 2/5, 1/2 at recall 0, 1/3, 2/3, 2/3, 2/3, 1
    # envelope (max to the right): 2/3, 2/3, 2/3, 1/2, 1/2, 1/2
    # AP = 1/3 * 2/3 + 1/3 * 2/3 + 1/3 * 1/2 = 11/18
    r = average_precision(_dataset())
    assert r["ap"] == pytest.approx(11 / 18, abs=1e-12)
    assert r["precision"] == 0.5 and r["recall"] == 1.0
    assert (r["n_gt"], r["n_det"], r["n_tp"]) == (3, 6, 3)


def test_average_precision_ties_do_not_depend_on_order():
    # one face, two detections at the same score, one TP one FP: one point P = 1/2, R = 1
    # -> AP 1/2 whichever is listed first (a sequential VOC scan would give 1 or 1/2)
    gt = [[0, 0, 10, 10]]
    a = match_detections([[0, 0, 10, 10], [40, 40, 50, 50]], [0.5, 0.5], gt)
    b = match_detections([[40, 40, 50, 50], [0, 0, 10, 10]], [0.5, 0.5], gt)
    assert average_precision([a])["ap"] == average_precision([b])["ap"] == 0.5


def test_average_precision_perfect_and_no_detections():
    perfect = match_detections(GT1, [0.9, 0.8], GT1)
    assert average_precision([perfect])["ap"] == 1.0
    none = average_precision([match_detections(np.zeros((0, 4)), [], GT1)])
    assert (none["ap"], none["precision"], none["recall"], none["n_det"]) == (0.0, 1.0, 0.0, 0)


def test_matches_can_be_built_directly():
    r = average_precision([Matches(np.array([0.9, 0.1]), np.array([True, True]), np.array([0, 1]), 4)])
    assert r["ap"] == 0.5 and r["recall"] == 0.5


@pytest.mark.parametrize(
    ("pred", "scores", "gt", "message"),
    [
        ([[0, 0, 1]], [0.5], [], r"shape \(N, 4\)"),
        ([[2, 0, 1, 1]], [0.5], [], "x2 < x1"),
        ([[0, 0, 1, 1]], [0.5, 0.4], [], "2 values for 1 pred_boxes"),
        ([[0, 0, 1, 1]], [np.nan], [], "NaN"),
        ([[0, 0, np.inf, 1]], [0.5], [], "NaN or inf"),
    ],
)
def test_bad_input(pred, scores, gt, message):
    with pytest.raises(InputError, match=message):
        match_detections(pred, scores, gt)


def test_bad_dataset():
    with pytest.raises(InputError, match="no per-image results"):
        average_precision([])
    with pytest.raises(InputError, match="no ground-truth"):
        average_precision([match_detections([[0, 0, 1, 1]], [0.5], [])])
    with pytest.raises(InputError, match="iou_thr"):
        match_detections([[0, 0, 1, 1]], [0.5], [], iou_thr=0)
