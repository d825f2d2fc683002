"""The fitting code of every accuracy route sees the training folds only."""

from __future__ import annotations

import numpy as np

from faceprint.evaluate.fold_fit import (accuracy_per_evaluation, held_out, same_for_every_evaluation,
                                         z_fusion_apply, z_fusion_fit)
from faceprint.evaluate.logistic import fit_logistic
from faceprint.evaluate.score_norm import cohort_stats, fold_as_norm, s_norm


def _pairs(seed: int = 0, folds: int = 4, per_fold: int = 60):
    """Synthetic two-model scores: genuine pairs score higher, with noise."""
    rng = np.random.default_rng(seed)
    fold = np.repeat(np.arange(1, folds + 1), per_fold)
    same = rng.random(fold.size) < 0.5
    scores = np.stack([same * 0.5 + rng.normal(0, 0.2, fold.size),
                       same * 0.2 + rng.normal(0, 0.05, fold.size)], axis=1)
    return scores, same, fold


def _spy(fit, seen):
    def wrapped(train):
        seen.append({k: v.copy() for k, v in train.items()})
        return fit(train)
    return wrapped


def test_held_out_gives_fit_only_training_rows_and_the_test_fold_cannot_move_its_parameters():
    scores, same, fold = _pairs()
    seen = []
    held_out({"scores": scores, "same": same}, fold, _spy(z_fusion_fit, seen), z_fusion_apply)
    assert [len(s["same"]) for s in seen] == [int((fold != k).sum()) for k in np.unique(fold)]
    for k in np.unique(fold):
        poisoned = scores.copy()
        poisoned[fold == k] = 1e6  # a fit that looked at fold k would change its weights
        moved = held_out({"scores": poisoned, "same": same}, fold, z_fusion_fit, z_fusion_apply)
        # fold k's own scores change (its inputs did), but through the same weights:
        w = z_fusion_fit({"scores": scores[fold != k], "same": same[fold != k]})
        assert np.allclose(moved[fold == k], poisoned[fold == k] @ w / w.sum())


def test_z_fusion_route_gives_the_scores_of_the_published_accurate_benchmark():
    """bench accuracy's baseline row is the number `bench verification` publishes for accurate."""
    from faceprint.bench.verification import fold_fitted_fusion_scores
    from faceprint.embedders.base import merge_flipped
    from faceprint.models.catalog import PIPELINES

    rng = np.random.default_rng(1)
    card = PIPELINES["accurate"]
    n = 40
    comps = {}
    for e in card.embedders:
        for key in (f"{card.detector}>{e}", f"{card.detector}>{e}:mirror"):
            v = rng.normal(size=(n, 128)).astype(np.float32)
            comps[key] = v / np.linalg.norm(v, axis=1, keepdims=True)
    ia, ib = np.arange(0, n, 2), np.arange(1, n, 2)
    same = rng.random(ia.size) < 0.5
    fold = np.repeat(np.arange(1, 5), ia.size // 4)
    published = fold_fitted_fusion_scores(card, comps, ia, ib, same, fold)
    raw = np.stack([np.einsum("ij,ij->i", m[ia], m[ib]) for m in (
        merge_flipped(comps[f"{card.detector}>{e}"], comps[f"{card.detector}>{e}:mirror"]) for e in card.embedders)], 1)
    ours = held_out({"scores": raw, "same": same}, fold, z_fusion_fit, z_fusion_apply)
    assert np.allclose(ours, published, atol=1e-6)


def test_as_norm_training_scores_ignore_the_evaluated_fold():
    """Under evaluation k, the training folds' scores (which fit the threshold) do not depend on
    fold k's images; only fold k's own pairs do."""
    rng = np.random.default_rng(2)
    n_img, folds = 80, 4
    v = rng.normal(size=(n_img, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    img_fold = np.repeat(np.arange(1, folds + 1), n_img // folds)
    ia, ib, fold = [], [], []
    for k in range(1, folds + 1):
        rows = np.where(img_fold == k)[0]
        for i in range(0, len(rows) - 1, 2):
            ia.append(rows[i]); ib.append(rows[i + 1]); fold.append(k)
    ia, ib, fold = np.array(ia), np.array(ib), np.array(fold)
    base = fold_as_norm(v, ia, ib, fold, top_k=5)
    for e, k in enumerate(np.unique(fold)):
        w = v.copy()
        w[img_fold == k] = rng.normal(size=(int((img_fold == k).sum()), 16))
        w[img_fold == k] /= np.linalg.norm(w[img_fold == k], axis=1, keepdims=True)
        moved = fold_as_norm(w, ia, ib, fold, top_k=5)
        assert np.allclose(moved[e, fold != k], base[e, fold != k]), f"evaluation {k} saw its test fold"
        assert not np.allclose(moved[e, fold == k], base[e, fold == k])


def test_accuracy_per_evaluation_fits_the_threshold_without_the_test_fold():
    scores, same, fold = _pairs(3)
    s = scores[:, 0]
    per_eval = same_for_every_evaluation(s, fold)
    base = accuracy_per_evaluation(per_eval, same, fold)
    k = 2
    flipped = same.copy()
    flipped[fold == k] = ~flipped[fold == k]  # inverted labels in fold k only
    moved = accuracy_per_evaluation(per_eval, flipped, fold)
    e = list(np.unique(fold)).index(k)
    # same threshold (fitted elsewhere), so fold k's accuracy is exactly the complement
    assert np.isclose(moved["per_fold"][e], 1 - base["per_fold"][e])


def test_logistic_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    scores, same, _ = _pairs(4)
    ours = fit_logistic(scores, same, l2=1.0)
    z = (scores - ours.mean) / ours.scale
    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=1000).fit(z, same)
    assert np.allclose(ours.coef[:-1], ref.coef_[0], atol=1e-4)
    assert np.isclose(ours.coef[-1], ref.intercept_[0], atol=1e-4)


def test_s_norm_is_symmetric_and_top_k_takes_the_closest_impostors():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 8)); x /= np.linalg.norm(x, axis=1, keepdims=True)
    cohort = rng.normal(size=(50, 8)); cohort /= np.linalg.norm(cohort, axis=1, keepdims=True)
    mu, sd = cohort_stats(x, cohort, top_k=5)
    top = np.sort(x @ cohort.T, axis=1)[:, -5:]
    assert np.allclose(mu, top.mean(1)) and np.allclose(sd, top.std(1))
    s = np.array([0.3])
    ab = s_norm(s, (mu[:1], sd[:1]), (mu[1:2], sd[1:2]))
    ba = s_norm(s, (mu[1:2], sd[1:2]), (mu[:1], sd[:1]))
    assert np.allclose(ab, ba)


def test_nested_choice_of_route_never_looks_at_the_test_fold():
    """Which candidate a fold gets, and its fitted parameters, do not move when that fold's
    labels and scores are scrambled."""
    from faceprint.evaluate.fold_fit import held_out_selected

    scores, same, fold = _pairs(6, folds=5)

    def only(column: int, l2: float):
        return (lambda tr: fit_logistic(tr["scores"][:, [column]], tr["same"], l2),
                lambda m, te: m.decision(te["scores"][:, [column]]))

    candidates = {"model 0": only(0, 1.0), "model 1": only(1, 1.0), "model 1 weak penalty": only(1, 1e-3)}
    base, chosen = held_out_selected({"scores": scores, "same": same}, fold, candidates)
    rng = np.random.default_rng(7)
    for e, k in enumerate(np.unique(fold)):
        s2, y2 = scores.copy(), same.copy()
        s2[fold == k] = rng.normal(size=s2[fold == k].shape)
        y2[fold == k] = rng.random(int((fold == k).sum())) < 0.5
        moved, chosen2 = held_out_selected({"scores": s2, "same": y2}, fold, candidates)
        assert chosen2[e] == chosen[e]
        fit, apply = candidates[chosen[e]]
        model = fit({"scores": scores[fold != k], "same": same[fold != k]})
        assert np.allclose(moved[fold == k], apply(model, {"scores": s2[fold == k]}))


def test_per_evaluation_fits_each_row_on_its_training_folds_only():
    from faceprint.evaluate.fold_fit import per_evaluation

    scores, same, fold = _pairs(6)
    base = per_evaluation({"scores": scores, "same": same}, fold, z_fusion_fit, z_fusion_apply)
    for e, k in enumerate(np.unique(fold)):
        poisoned = scores.copy()
        poisoned[fold == k] *= 50.0  # would change the weights of a fit that saw fold k
        moved = per_evaluation({"scores": poisoned, "same": same}, fold, z_fusion_fit, z_fusion_apply)
        assert np.allclose(moved[e, fold != k], base[e, fold != k]), f"evaluation {k} saw its test fold"


def _angle_pairs(seed: int):
    """Pairs where the first model fails when either face is of low quality, the second does not."""
    rng = np.random.default_rng(seed)
    n = 1200
    same = rng.random(n) < 0.5
    qa, qb = rng.normal(size=n), rng.normal(size=n)
    low = np.fmin(qa, qb) < -0.5
    ss = np.where(same & ~low, 0.6, 0.0) + rng.normal(0, 0.1, n)
    sd = np.where(same, 0.4, 0.0) + rng.normal(0, 0.12, n)
    return {"ss": ss, "sd": sd, "qa": qa, "qb": qb, "same": same}


def test_quality_angle_is_one_embedding_and_learns_to_weigh_the_doubtful_model_down():
    from faceprint.evaluate.quality_angle import angle_apply, angle_embedding, angle_fit

    pairs = _angle_pairs(7)
    params = angle_fit(pairs)
    assert params[1] < 0  # higher quality -> smaller angle -> more weight on the first model
    # the pair score is the cosine of the two per-image embeddings
    rng = np.random.default_rng(8)
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    es, ed = unit(rng.normal(size=(4, 16))), unit(rng.normal(size=(4, 16)))
    quality = np.array([-2.0, -0.3, 0.4, 1.5])
    v = angle_embedding(params, es, ed, quality)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    i, j = np.array([0, 1, 2]), np.array([3, 2, 0])
    direct = angle_apply(params, {"ss": np.einsum("ij,ij->i", es[i], es[j]), "sd": np.einsum("ij,ij->i", ed[i], ed[j]),
                                  "qa": quality[i], "qb": quality[j]})
    assert np.allclose(np.einsum("ij,ij->i", v[i], v[j]), direct, atol=1e-6)
