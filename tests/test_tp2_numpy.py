"""Tests of the numpy half of TP2's hidden tests (reference/tp2): the solutions get every point,
the stubs none, and each plausible bug costs exactly the tests that should catch it."""
from __future__ import annotations

import pytest

from grader.runner import grade_checkout


def failed(grading) -> set[str]:
    return {t.id.split("::")[1] for t in grading.tests if t.status != "passed"}


@pytest.fixture(scope="module")
def tp2(project):
    return project.tp("tp2")


def test_solutions_get_full_marks(project, tp2):
    grading, _ = grade_checkout(project, tp2, project.solutions)
    assert failed(grading) == set(), [t.message for t in grading.tests if t.status != "passed"]
    assert grading.score == grading.max_score and grading.mark == 20


def test_untouched_stubs_get_zero(project, tp2):
    grading, _ = grade_checkout(project, tp2, project.assignments)
    assert grading.mark == 0
    assert all("pas encore écrite" in t.message for t in grading.tests)


def adam_without_bias_correction(solution: str) -> str:
    line = "m_hat, v_hat = m / (1 - beta1 ** self.t), v / (1 - beta2 ** self.t)"
    assert line in solution
    return solution.replace(line, "m_hat, v_hat = m, v")


FUNCTION_BUGS = {
    "BCE gradient with the wrong sign": (
        ("tp2/losses.py", "bce_grad"),
        "p = np.asarray(p, dtype=float)\nreturn (np.asarray(y, dtype=float) - p) / (p * (1.0 - p)) / p.size",
        {"test_bce_grad_gradient_check"}),
    "dropout not rescaled": (
        ("tp2/layers.py", "dropout_forward"),
        "x = np.asarray(x, dtype=float)\nif not training:\n    return x.copy(), np.ones_like(x)\n"
        "mask = (np.random.default_rng(seed).random(x.shape) >= p).astype(float)\nreturn x * mask, mask",
        {"test_dropout_training_drops_and_rescales"}),
    "batch norm with the batch statistics at evaluation": (
        ("tp2/layers.py", "batchnorm_forward"),
        "x = np.asarray(x, dtype=float)\nmean, var = x.mean(axis=0), x.var(axis=0)\nif training:\n    n = len(x)\n"
        "    running_mean = (1 - momentum) * running_mean + momentum * mean\n"
        "    running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)\n"
        "inv_std = 1.0 / np.sqrt(var + eps)\nx_hat = (x - mean) * inv_std\n"
        "return gamma * x_hat + beta, (x_hat, np.asarray(gamma, dtype=float), inv_std), running_mean, running_var",
        {"test_batchnorm_eval_uses_running_stats"}),
    "k-fold folds drawn independently, so they overlap": (
        ("tp2/data.py", "kfold_indices"),
        "rng = np.random.default_rng(seed)\nfolds = []\nfor _ in range(k):\n"
        "    val = rng.choice(n, n // k, replace=False)\n    folds.append((np.setdiff1d(np.arange(n), val), val))\n"
        "return folds",
        {"test_kfold_folds_partition_the_samples"}),
}


def check_bug(project, tp2, repo, should_fail: set[str]) -> None:
    grading, _ = grade_checkout(project, tp2, repo)
    assert failed(grading) == should_fail, {t.id: t.message for t in grading.tests if t.status != "passed"}
    assert all(t.status == "failed" and t.message for t in grading.tests if t.status != "passed")
    lost = sum(t.max_points - t.points for t in grading.tests if t.status != "passed")  # held-out: part may be kept
    assert 0 < lost and grading.score == pytest.approx(grading.max_score - lost) and grading.mark < 20


@pytest.mark.parametrize("bug", sorted(FUNCTION_BUGS))
def test_plausible_bugs_lose_exactly_their_points(project, tp2, student_repo, bug):
    target, body, should_fail = FUNCTION_BUGS[bug]
    check_bug(project, tp2, student_repo(functions={target: body}), should_fail)


def test_adam_without_bias_correction_loses_its_points(project, tp2, student_repo):
    solution = (project.solutions / "tp2" / "optim.py").read_text(encoding="utf-8")
    repo = student_repo(files={"tp2/optim.py": adam_without_bias_correction(solution)})
    # The held-out regression trains with Adam too: without bias correction its R² falls under the bound
    # on most secrets but not all (the secret follows the TP's files), so it may or may not lose points
    # there; when it does, its message names Adam (held-out scores are never forgiven).
    grading, _ = grade_checkout(project, tp2, repo)
    lost = {t.id.split("::")[-1]: t for t in grading.tests if t.status != "passed"}
    assert "test_adam_matches_torch" in lost and set(lost) <= {"test_adam_matches_torch", "test_regression_beats_baseline"}
    assert all(t.status == "failed" and t.message for t in lost.values())
    if "test_regression_beats_baseline" in lost:
        assert "Adam" in lost["test_regression_beats_baseline"].message
    assert grading.mark < 20
