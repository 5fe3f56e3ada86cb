"""TP3's hidden tests (reference/tp3): the solution gets every point, the stubs none, and each
plausible bug loses the points of the tests that should catch it.

Each buggy variant is graded only on the tests it should fail plus one it should pass
(`RunOptions.only`), to keep the suite fast: the digits test trains a CNN for seconds.
"""
from __future__ import annotations

import pytest

from grader.grading.runner import grade_checkout

from .conftest import loses_points

CONV, SIZES = "test_conv.py::", "test_sizes.py::"

BUGS = {
    # The course's kernel is symmetric, so its worked example cannot see the flip: only PyTorch can.
    "kernel flipped (a true convolution)": (
        "conv2d",
        "x = np.pad(np.asarray(x, dtype=float), padding)\nk = np.asarray(k, dtype=float)[::-1, ::-1]\n"
        "windows = sliding_window_view(x, k.shape)[::stride, ::stride]\nreturn np.einsum('ijab,ab->ij', windows, k)",
        [CONV + "test_conv2d_matches_torch"], CONV + "test_conv2d_course_examples"),
    "padding on one side only": (
        "conv2d",
        "x = np.pad(np.asarray(x, dtype=float), ((padding, 0), (padding, 0)))\nk = np.asarray(k, dtype=float)\n"
        "windows = sliding_window_view(x, k.shape)[::stride, ::stride]\nreturn np.einsum('ijab,ab->ij', windows, k)",
        [CONV + "test_conv2d_course_examples", CONV + "test_conv2d_matches_torch"],
        CONV + "test_maxpool2d_course_example"),
    "stride ignored in the output size": (
        "output_size",
        "return w - k + 2 * padding + 1",
        [SIZES + "test_output_size_matches_torch"], SIZES + "test_conv_params_matches_torch"),
    "pooling that averages": (
        "maxpool2d",
        "windows = sliding_window_view(np.asarray(x, dtype=float), (size, size))[::stride, ::stride]\n"
        "return windows.mean(axis=(2, 3))",
        [CONV + "test_maxpool2d_course_example", CONV + "test_maxpool2d_matches_torch"],
        SIZES + "test_output_size_matches_torch"),
    "bias missing from the parameter count": (
        "conv_params",
        "return kx * ky * in_channels * filters",
        [SIZES + "test_conv_params_matches_torch"], SIZES + "test_mlp_image_params_course_values"),
}


@pytest.fixture(scope="module")
def tp3(project):
    return project.tp("tp3")


def test_solution_gets_full_marks(project, tp3):
    grading, _ = grade_checkout(project, tp3, project.solutions)
    assert [t.id for t in grading.tests if t.status != "passed"] == [], [t.message for t in grading.tests]
    assert grading.score == grading.max_score == 20 and grading.mark == 20


def test_stubs_get_zero(project, tp3):
    grading, _ = grade_checkout(project, tp3, project.assignments)
    assert grading.score == 0 and all("pas encore écrite" in t.message for t in grading.tests)


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_plausible_bugs_lose_points(project, tp3, student_repo, bug):
    function, body, should_fail, should_pass = BUGS[bug]
    repo = student_repo(functions={("tp3/conv.py", function): body})
    grading = loses_points(project, "tp3", repo, should_fail, should_pass)
    assert all(t.status == "failed" for t in grading.tests if t.id in should_fail)
    messages = [t.message for t in grading.tests if t.status == "failed"]
    assert all(messages) and grading.score < grading.max_score
