"""Tests of grader/grading/runner.py: real pytest runs of the hidden tests against real git repos."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.grading.runner import RunOptions, grade_checkout, hidden_lines


def failed(grading) -> set[str]:
    return {t.id.split("::")[1] for t in grading.tests if t.status != "passed"}


@pytest.fixture(scope="module")
def tp1(project):
    return project.tp("tp1")


def test_solutions_get_full_marks(project, tp1):
    grading, isolation = grade_checkout(project, tp1, project.solutions)
    assert grading.mark == 20 and grading.score == grading.max_score == 20
    assert [t.status for t in grading.tests] == ["passed"] * len(tp1.rubric.points)
    assert isolation.layers


def test_untouched_stubs_get_zero(project, tp1):
    grading, _ = grade_checkout(project, tp1, project.assignments)
    assert grading.mark == 0
    assert all("pas encore écrite" in t.message for t in grading.tests)


BUGS = {
    "perceptron rule with the wrong sign": (
        ("tp1/perceptron.py", "update"),
        "x = np.asarray(x, dtype=float)\nerror = y - predict(w, b, x[None, :])[0]\n"
        "return np.asarray(w, dtype=float) - lr * error * x, float(b - lr * error)",
        {"test_update_rule"}),  # train calls update: its tests are not charged again (relies_on)
    "backward without the sigmoid derivative at the output": (
        ("tp1/mlp.py", "backward"),
        "activations = forward(params, X)\ndelta = mse_grad(activations[-1], Y)\ngrads = []\n"
        "for layer in range(len(params) - 1, -1, -1):\n    W, _ = params[layer]\n    a_prev = activations[layer]\n"
        "    grads.append((a_prev.T @ delta, delta.sum(axis=0)))\n    delta = (delta @ W.T) * a_prev * (1.0 - a_prev)\n"
        "return grads[::-1]",
        {"test_backward_gradient_check"}),  # train calls backward: not charged again
    "softmax without subtracting the maximum": (
        ("tp1/activations.py", "softmax"),
        "e = np.exp(np.asarray(z, dtype=float))\nreturn e / e.sum(axis=-1, keepdims=True)",
        {"test_softmax_is_numerically_stable"}),
    "mse gradient without the 1/N": (
        ("tp1/losses.py", "mse_grad"),
        "return 2.0 * (np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float))",
        {"test_mse_grad_gradient_check"}),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_plausible_bugs_lose_exactly_their_points(project, tp1, student_repo, bug):
    target, body, should_fail = BUGS[bug]
    grading, _ = grade_checkout(project, tp1, student_repo(functions={target: body}))
    assert should_fail <= failed(grading), failed(grading)
    assert grading.mark < 20
    lost = sum(t.max_points - t.points for t in grading.tests if t.status != "passed")  # points kept in part too
    assert grading.score == pytest.approx(20 - lost)


def test_package_that_does_not_import_gets_the_python_error(project, tp1, student_repo):
    repo = student_repo(files={"tp1/losses.py": "def mse(y_pred, y)\n    return 0\n"})
    grading, _ = grade_checkout(project, tp1, repo)
    losses = [t for t in grading.tests if t.id.startswith("test_losses.py")]
    assert all(t.points == 0 and "ne s'importe pas" in t.message and "SyntaxError" in t.message for t in losses)
    # mlp imports losses, so its tests fail too, naming the broken file and line, not the importer.
    mlp = [t for t in grading.tests if t.id.startswith("test_mlp.py") and t.status != "passed"]
    assert mlp and all("(tp1/losses.py:1)" in t.message for t in mlp + losses)
    # activations do not import losses and keep their points.
    assert all(t.status == "passed" for t in grading.tests if t.id.startswith("test_activations.py"))


def test_missing_package_is_a_test_result_not_a_crash(project, tp1, tmp_path):
    (tmp_path / "empty").mkdir()
    grading, _ = grade_checkout(project, tp1, tmp_path / "empty")
    assert grading.mark == 0 and all("ModuleNotFoundError" in t.message for t in grading.tests)


def test_feedback_never_quotes_hidden_tests(project, tp1, student_repo):
    """Messages come from the grader's result objects: no hidden test source, no assertion
    introspection, even for failing and erroring submissions."""
    repo = student_repo(functions={
        ("tp1/activations.py", "sigmoid"): "return z",
        ("tp1/mlp.py", "forward"): "raise RuntimeError('boom')",
        ("tp1/perceptron.py", "predict"): "return [0.5] * len(X)",
    })
    grading, _ = grade_checkout(project, tp1, repo)
    text = grading.to_json()
    for line in hidden_lines(tp1.reference):
        assert line not in text
    assert "expect(" not in text and "assert " not in text and "true_forward" not in text


def test_bare_asserts_in_hidden_tests_never_show_their_values(tmp_path):
    """Only `expect`'s French messages reach students: numpy.testing's text would quote the secret."""
    from grader.grading.config import Project

    (tmp_path / "reference" / "tp9").mkdir(parents=True)
    (tmp_path / "reference" / "tp9" / "test_secret.py").write_text(
        "import numpy as np\n\n\ndef test_secret(student):\n"
        "    np.testing.assert_allclose(student.call('tp9.m.value'), 0.123456789)\n")
    (tmp_path / "reference" / "tp9" / "rubric.yaml").write_text("tests:\n  test_secret.py::test_secret: 20\n")
    (tmp_path / "student" / "tp9").mkdir(parents=True)
    (tmp_path / "student" / "tp9" / "__init__.py").write_text("")
    (tmp_path / "student" / "tp9" / "m.py").write_text("def value():\n    return 1.0\n")
    project = Project.at(tmp_path)
    grading, _ = grade_checkout(project, project.tp("tp9"), tmp_path / "student")
    assert grading.tests[0].status == "failed" and grading.tests[0].message == "résultat incorrect"
    assert "0.1234" not in grading.to_json()


def test_a_wrong_function_is_charged_once_and_breaking_one_on_purpose_never_pays(project, tp1, student_repo):
    """relies_on: a test of a function that calls a wrong one keeps its points, naming the culprit,
    but never more than the culprit's own test lost (issue 23: otherwise a student could break a cheap
    function and hand in garbage for everything that calls it)."""
    only = ("test_activations.py::test_sigmoid_values", "test_mlp.py::test_forward_activations",
            "test_mlp.py::test_backward_gradient_check", "test_mlp.py::test_train_is_full_batch_gradient_descent")
    honest = student_repo(functions={("tp1/activations.py", "sigmoid"): "return 1.0 / (1.0 + np.exp(np.asarray(z)))"})
    grading, _ = grade_checkout(project, tp1, honest, options=RunOptions(only=only))
    points = {t.id.split("::")[1]: t for t in grading.tests}
    assert points["test_sigmoid_values"].points == 0
    assert points["test_forward_activations"].points == 0.75  # up to what sigmoid's own test lost
    assert "corrigez d'abord sigmoid" in points["test_forward_activations"].message
    garbage = student_repo(name="garbage", functions={
        ("tp1/activations.py", "sigmoid"): "return np.zeros_like(np.asarray(z, dtype=float))",
        ("tp1/mlp.py", "forward"): "return [np.asarray(X, dtype=float)] + [np.zeros((len(X), W.shape[1])) for W, _ in params]",
        ("tp1/mlp.py", "backward"): "return [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]",
        ("tp1/mlp.py", "train"): "return init_params(sizes, seed)"})
    grading, _ = grade_checkout(project, tp1, garbage, options=RunOptions(only=only))
    kept = sum(t.points for t in grading.tests if t.id != only[0])
    assert kept <= 0.75 and all("sigmoid" in t.message for t in grading.tests if t.id != only[0]), \
        [(t.id, t.points, t.message) for t in grading.tests]
