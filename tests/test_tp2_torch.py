"""TP2's PyTorch half: the solution passes, the stubs fail, and plausible bugs lose their points.

Each buggy variant is graded only on the tests it should fail plus one it should pass
(`RunOptions.only`), to keep the suite fast: training tests cost seconds each.
"""
from __future__ import annotations

import pytest

from grader.grading.runner import RunOptions, grade_checkout

from .conftest import loses_points

FILE = "test_torch_nets.py::"
ALL = [FILE + name for name in ("test_architectures_have_the_course_parameter_counts", "test_outputs_with_given_weights",
                                "test_fit_trains_the_course_example_model", "test_fit_binary_classifier_breast_cancer",
                                "test_fit_multiclass_classifier_wine", "test_evaluate_is_a_mean_over_samples")]

BUGS = {
    "evaluate averages the batch means": (
        "evaluate",
        "model.eval()\nvalues = []\nwith torch.no_grad():\n    for X, y in loader:\n"
        "        values.append(float(metric(model(X).squeeze(1), y)))\nreturn sum(values) / len(values)",
        [FILE + "test_evaluate_is_a_mean_over_samples"], FILE + "test_outputs_with_given_weights"),
    "fit never steps the optimiser": (
        "fit",
        "history = []\nfor _ in range(epochs):\n    total = 0.0\n    for X, y in loader:\n"
        "        loss = loss_fn(model(X).squeeze(1) if y.dim() == 1 and model(X).dim() == 2 and model(X).shape[1] == 1 "
        "else model(X), y)\n        optimizer.zero_grad()\n        loss.backward()\n        total += loss.item()\n"
        "    history.append(total)\nreturn history",
        [FILE + "test_fit_binary_classifier_breast_cancer"], FILE + "test_evaluate_is_a_mean_over_samples"),
    "binary classifier without its sigmoid": (
        "binary_classifier",
        "return nn.Sequential(nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 1))",
        [FILE + "test_outputs_with_given_weights"], FILE + "test_architectures_have_the_course_parameter_counts"),
}


@pytest.fixture(scope="module")
def tp2(project):
    return project.tp("tp2")


def test_solution_passes_the_torch_tests(project, tp2):
    grading, _ = grade_checkout(project, tp2, project.solutions, options=RunOptions(only=tuple(ALL)))
    assert [t.status for t in grading.tests] == ["passed"] * len(ALL), [t.message for t in grading.tests]


def test_stubs_fail_the_torch_tests(project, tp2):
    grading, _ = grade_checkout(project, tp2, project.assignments, options=RunOptions(only=tuple(ALL[:2])))
    assert grading.score == 0 and all("pas encore écrite" in t.message for t in grading.tests)


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_plausible_torch_bugs_lose_points(project, tp2, student_repo, bug):
    function, body, should_fail, should_pass = BUGS[bug]
    repo = student_repo(functions={("tp2/torch_nets.py", function): body})
    loses_points(project, "tp2", repo, should_fail, should_pass)
