"""The generic PyTorch probe (`torch_call`) that TP3 and TP4 build on: models, optimisers and
tensors are built in the worker, only arrays come back."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import CallFailure, Limits, SandboxPolicy, WorkerSession
from grader.grading.testkit import Student

CODE = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.lin = nn.Linear(n, 2)

    def forward(self, x):
        return self.lin(x)

def step(model, optimizer, x, y):
    loss = ((model(x) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss

def train(model, X, y, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        step(model, optimizer, X, y)
    return model

def not_a_model():
    return object()

def mode_and_draw(model):
    return [float(model.training), float(torch.rand(1))]
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory, project):
    root = tmp_path_factory.mktemp("torch")
    (root / "tp9").mkdir()
    (root / "tp9" / "__init__.py").write_text("")
    (root / "tp9" / "m.py").write_text(CODE)
    with WorkerSession(root, SandboxPolicy(probes_path=project.probes, limits=Limits(memory_bytes=3 << 30))) as session:
        yield Student(session)


def test_step_with_given_weights_matches_the_maths(student):
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(2, 3)).astype(np.float32), np.zeros(2, dtype=np.float32)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    got = student.probe("torch_call", module="tp9.m", function="step", args=("@net", "@opt", X, y),
                        models={"net": {"factory": "tp9.m.Net", "args": (3,), "weights": [W, b]}},
                        optimizers={"opt": {"model": "net", "name": "sgd", "lr": 0.1}}, report=["net"],
                        inputs={"net": X})
    residual = X @ W.T + b - y
    assert float(got["value"]) == pytest.approx(np.mean(residual ** 2), rel=1e-5)
    grad_W = 2 * residual.T @ X / residual.size
    np.testing.assert_allclose(got["parameters"]["net"][0], W - 0.1 * grad_W, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["outputs"]["net"], X @ got["parameters"]["net"][0].T + got["parameters"]["net"][1],
                               rtol=1e-4, atol=1e-5)


def test_a_returned_model_comes_back_as_its_parameters(student):
    got = student.probe("torch_call", module="tp9.m", function="train", args=("@net", np.ones((4, 3)), np.zeros((4, 2)), 3),
                        models={"net": {"factory": "tp9.m.Net"}})
    assert [p.shape for p in got["value"]] == [(2, 3), (2,)]


def test_a_factory_that_is_not_a_module_is_refused(student):
    with pytest.raises(CallFailure, match="nn.Module"):
        student.probe("torch_call", module="tp9.m", function="train", args=("@bad", None, None, 1),
                      models={"bad": {"factory": "tp9.m.not_a_model"}})


def test_methods_and_gradients(student):
    x = np.array([[1.0, 2.0, 3.0]])
    got = student.probe("torch_call", module="tp9.m", function="@net.forward", args=(x,),
                        models={"net": {"factory": "tp9.m.Net", "weights": [np.ones((2, 3)), np.zeros(2)]}},
                        differentiate=[0])
    np.testing.assert_allclose(got["value"], [[6.0, 6.0]], rtol=1e-6)
    np.testing.assert_allclose(got["gradients"][0], [[2.0, 2.0, 2.0]], rtol=1e-6)


def test_private_methods_are_refused(student):
    with pytest.raises(CallFailure, match="refusée"):
        student.probe("torch_call", module="tp9.m", function="@net.__class__", args=(),
                      models={"net": {"factory": "tp9.m.Net"}})


def test_the_model_as_built_is_described_without_changing_what_the_call_sees(student):
    from grader.grading.replayer import architecture

    x = np.ones((2, 3), dtype=np.float32)
    plain = student.probe("torch_call", module="tp9.m", function="mode_and_draw", args=("@net",), seed=5,
                          models={"net": {"factory": "tp9.m.Net"}})
    got = student.probe("torch_call", module="tp9.m", function="mode_and_draw", args=("@net",), seed=5,
                        models={"net": {"factory": "tp9.m.Net"}}, describe={"net": x}, describe_before=["net"])
    assert list(got["value"]) == list(plain["value"]) and got["value"][0] == 1.0  # still in training mode, same draw
    assert architecture(got["before"]["net"]) == architecture(got["models"]["net"])
    trained = student.probe("torch_call", module="tp9.m", function="train", args=("@net", np.ones((4, 3)), np.zeros((4, 2)), 3),
                            models={"net": {"factory": "tp9.m.Net"}}, describe={"net": x}, describe_before=["net"])
    before, after = trained["before"]["net"], trained["models"]["net"]
    assert architecture(before) == architecture(after)  # trained: weights only
    assert not np.allclose(before["layers"]["lin"]["state"]["weight"], after["layers"]["lin"]["state"]["weight"])
