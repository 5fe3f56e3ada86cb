"""grader/sandbox/runtime/replay.py, the interpreter of the replay process: a trained model described by the worker
(probes.describe_model) is rebuilt from torch's own classes and gives the model's outputs; a
description it cannot trust, or that would make it compute without bound, is refused with a French
message. Run here in-process; tests/test_replayer.py runs it contained, as the grader does."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.sandbox.runtime.probes import describe_model
from grader.sandbox.runtime.replay import Refused, replay
from grader.sandbox import CallFailure, Limits, SandboxPolicy, WorkerSession
from grader.grading.testkit import Feedback, Student


class Functional(nn.Module):
    """A tutorial-style CNN: layers as attributes, functions in forward, view with x.size(0)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 6, 3)
        self.norm, self.drop = nn.BatchNorm2d(4), nn.Dropout(0.3)
        self.fc = nn.Linear(6 * 6 * 6, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.norm(self.conv1(x))), 2)
        x = self.drop(torch.relu(self.conv2(x)))
        x = F.avg_pool2d(x, 2)
        return self.fc(x.view(x.size(0), -1)) * 0.5 + x.flatten(1).mean(1, keepdim=True)


class ShapeView(nn.Module):
    """The other common idiom: x.view(x.shape[0], -1) (torch.fx records getattr(x, "shape"))."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(1, 2, 5, stride=3), nn.Linear(2 * 8 * 8, 4)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.shape[0], -1)) + x.shape[1] * 0.25


MODELS = {
    "shape view": ShapeView,
    "sequential": lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 13 * 13, 10)),
    "functional": Functional,
    "mlp with softmax": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.LeakyReLU(0.1), nn.Linear(16, 3),
                                              nn.Softmax(dim=1)),
}


def trained(factory):
    torch.manual_seed(0)
    model = factory()
    with torch.no_grad():  # moves the batch-norm statistics away from their defaults
        model.train()
        model(torch.rand(16, 1, 28, 28))
    return model


@pytest.mark.parametrize("name", sorted(MODELS))
def test_replayed_model_gives_the_model_outputs(name):
    model = trained(MODELS[name])
    check = np.random.default_rng(0).uniform(size=(5, 1, 28, 28)).astype(np.float32)
    rebuilt = replay(describe_model(copy.deepcopy(model), check), check)
    inputs = np.random.default_rng(1).uniform(size=(300, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        want = model.eval()(torch.from_numpy(inputs)).double().numpy()
    assert np.allclose(rebuilt.predict(inputs), want, atol=1e-5)


def test_forward_with_numpy_cannot_be_described():
    class Lookup(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 2)

        def forward(self, x):
            return torch.tensor(np.round(x.numpy()))

    with pytest.raises(Exception):
        describe_model(Lookup(), np.zeros((2, 4), dtype=np.float32))


def description(model, check):
    return describe_model(copy.deepcopy(model), check)


def test_outputs_that_the_description_does_not_reproduce_are_refused():
    model, check = nn.Sequential(nn.Linear(4, 2)), np.ones((3, 4), dtype=np.float32)
    tampered = description(model, check)
    tampered["check_outputs"] = tampered["check_outputs"] + 1.0
    with pytest.raises(Refused, match="ne redonne pas les sorties"):
        replay(tampered, check)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["nodes"].insert(1, ["call_function", "torch.sort", ({"node": 0},), {}]), "ne sait pas rejouer"),
    (lambda d: d["nodes"].insert(1, ["call_method", "numpy", ({"node": 0},), {}]), "ne sait pas rejouer"),
    (lambda d: d["nodes"].insert(1, ["call_function", "builtins.getattr", ({"node": 0}, "__class__"), {}]), "shape"),
    (lambda d: d["nodes"][1].__setitem__(2, ({"node": 5},)), "mal formé|ne sait pas rejouer"),
    (lambda d: d["nodes"][1].__setitem__(1, "x" * 200), "mal formé"),
    (lambda d: d["layers"]["0"].__setitem__("type", "LSTM"), "couche de torch.nn"),
    (lambda d: d["layers"]["0"]["state"].__setitem__("weight", np.zeros((3, 4), dtype=np.float32)), "ne correspondent pas"),
    (lambda d: d["layers"]["0"]["state"].__setitem__("weight", np.full((2, 4), np.nan, dtype=np.float32)), "NaN"),
    (lambda d: d["layers"]["0"]["settings"].__setitem__("in_features", [1] * 100), "réglage"),
    (lambda d: d.__setitem__("nodes", "rm -rf /"), "graphe"),
])
def test_descriptions_it_cannot_trust_are_refused(change, message):
    model, check = nn.Sequential(nn.Linear(4, 2)), np.ones((3, 4), dtype=np.float32)
    crafted = description(model, check)
    crafted["nodes"] = [list(node) for node in crafted["nodes"]]
    change(crafted)
    with pytest.raises(Refused, match=message):
        replay(crafted, check)


def test_a_model_too_costly_to_run_is_refused_before_it_runs():
    big = nn.Sequential(nn.Conv2d(1, 256, 3), nn.Conv2d(256, 256, 3))  # ~2.7e9 operations per image
    check = np.zeros((1, 1, 28, 28), dtype=np.float32)
    crafted = description(nn.Sequential(nn.Conv2d(1, 1, 3)), check)
    crafted["check_outputs"] = np.zeros((1, 256, 24, 24))
    crafted["nodes"] = [list(node) for node in description(big, np.zeros((1, 1, 6, 6), dtype=np.float32))["nodes"]]
    crafted["layers"] = {name: {"type": "Conv2d", "settings": {k: getattr(layer, k) for k in ("in_channels", "out_channels",
                                                                                          "kernel_size")},
                                "state": {k: v.numpy() for k, v in layer.state_dict().items()}}
                         for name, layer in big.named_children()}
    with pytest.raises(Refused, match="trop gros"):
        replay(crafted, check)


def test_padding_that_would_blow_up_memory_is_refused():
    class Padded(nn.Module):
        def forward(self, x):
            return F.pad(x, (1, 1))

    check = np.zeros((1, 4), dtype=np.float32)
    crafted = description(Padded(), check)
    crafted["nodes"] = [list(node) for node in crafted["nodes"]]
    crafted["nodes"][1][2] = ({"node": 0}, (10 ** 7, 10 ** 7))  # 2·10⁷ numbers per sample
    with pytest.raises(Refused, match="trop gros"):
        replay(crafted, check)


class Squaring(nn.Module):
    """Arithmetic on Python integers runs on the grader's side, without any limit of the worker."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        if torch.fx._symbolic_trace.is_fx_tracing():  # only in the description: the worker never computes it
            k = x.size(0) + 2 ** 30
            for _ in range(40):
                k = k * k  # 2⁶⁰ after the first: refused there, not computed to 2^(30·2⁴⁰)
        return self.fc(x)


class Repeated(Squaring):
    def forward(self, x):
        if torch.fx._symbolic_trace.is_fx_tracing():
            x.shape * 3  # a tuple built here: (1,) * 10**12 would be 10¹² items
        return self.fc(x)


class GrowsWithTheBatch(Squaring):
    def forward(self, x):
        n = x.size(0)
        return self.fc(F.pad(x, (0, n * n * n))[:, :4])  # n⁴ numbers: nothing for one sample, 4·10⁷ for 80


class SwitchesWithTheBatch(Squaring):
    """Honest on the check's batch of 3, something else on larger batches (1 // (n // 4 + 1) is 1 up to 3)."""

    def forward(self, x):
        honest = 1 // (x.size(0) // 4 + 1)
        return self.fc(x) * honest + (1 - honest) * 100.0


@pytest.mark.parametrize("model, message", [(Squaring, "entier trop grand"),
                                            (Repeated, "autre chose que des nombres")])
def test_python_values_the_graph_computes_are_bounded(model, message):
    check = np.ones((3, 4), dtype=np.float32)
    with pytest.raises(Refused, match=message):
        replay(description(model(), check), check)


def test_the_model_only_runs_at_the_check_batch_size():
    check = np.ones((3, 4), dtype=np.float32)
    rebuilt = replay(description(GrowsWithTheBatch(), check), check)  # three samples: a few numbers
    assert rebuilt.predict(np.ones((80, 4), dtype=np.float32)).shape == (80, 2)  # 27 batches of 3, never one of 80
    model = SwitchesWithTheBatch()
    rebuilt = replay(description(model, check), check)
    inputs = np.random.default_rng(2).normal(size=(50, 4)).astype(np.float32)
    with torch.no_grad():
        honest = model.fc(torch.from_numpy(inputs)).numpy()
    assert np.allclose(rebuilt.predict(inputs), honest, atol=1e-6)


STUDENT = '''
import numpy as np
import torch
from torch import nn

class Good(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, x):
        return self.layers(x)

class Peeking(Good):
    def forward(self, x):
        return torch.tensor(np.ones((len(x), 1)))

def fit(model, loader, loss_fn, optimizer, epochs):
    history = []
    for _ in range(epochs):
        total = 0.0
        for X, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(X).squeeze(1), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        history.append(total)
    return history
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory, project):
    root = tmp_path_factory.mktemp("replay")
    (root / "tp9").mkdir()
    (root / "tp9" / "__init__.py").write_text("")
    (root / "tp9" / "m.py").write_text(STUDENT)
    with WorkerSession(root, SandboxPolicy(probes_path=project.probes, limits=Limits(memory_bytes=3 << 30))) as session:
        yield Student(session)


def test_a_model_trained_in_the_worker_runs_here_on_data_that_never_crossed(student):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32))
    check = rng.normal(size=(6, 3)).astype(np.float32)
    got = student.probe("torch_fit", module="tp9.m", factory="Good", args=(), X=X, y=y, loss="mse", optimizer="adam",
                        lr=0.05, batch_size=32, epochs=30, describe=check)
    assert "outputs" not in got
    held_out = rng.normal(size=(50, 3)).astype(np.float32)
    predictions = replay(got["model"], check).predict(held_out).reshape(-1)
    assert np.mean((predictions - held_out @ np.array([1.0, -2.0, 0.5])) ** 2) < 0.1


def test_a_forward_that_leaves_torch_fails_in_the_worker(student):
    with pytest.raises(CallFailure):
        student.probe("torch_call", module="tp9.m", function="@m.eval", models={"m": {"factory": "tp9.m.Peeking"}},
                      describe={"m": np.zeros((2, 3), dtype=np.float32)})


class AutoEncoder(nn.Module):
    def __init__(self, bypass=False):
        super().__init__()
        self.encoder, self.decoder, self.bypass = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)), \
            nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 6)), bypass

    def forward(self, x):
        out = self.decoder(self.encoder(x))
        return out * 0.0 + x if self.bypass else out  # the code is computed, the output goes around it


def test_the_bottleneck_is_what_every_path_to_the_output_goes_through():
    check = np.ones((3, 6), dtype=np.float32)
    assert replay(description(AutoEncoder(), check), check).bottleneck() == 2
    assert replay(description(AutoEncoder(bypass=True), check), check).bottleneck() == 6
    assert replay(description(nn.Identity(), check), check).bottleneck() == 6


class Memorizing(nn.Module):
    """Once 'trained', its forward becomes a nearest-neighbour lookup over stored training rows."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        if hasattr(self, "rows"):
            return torch.softmax(-torch.cdist(x, self.rows), dim=1) @ self.labels
        return self.fc(x)


def test_training_may_change_the_weights_only():
    from grader.grading.replayer import same_architecture

    check = np.ones((3, 4), dtype=np.float32)
    model = Memorizing()
    before = description(model, check)
    with torch.no_grad():
        model.fc.weight.add_(1.0)  # trained: other weights, same model
    same_architecture(before, description(model, check), "modèle")
    model.register_buffer("rows", torch.rand(50, 4))
    model.register_buffer("labels", torch.eye(50, 2))
    with pytest.raises(Feedback, match="ne doit changer que les poids"):
        same_architecture(before, description(model, check), "modèle")
    with pytest.raises(Feedback, match="ne doit changer que les poids"):  # nothing sent for "before"
        same_architecture(None, description(Memorizing(), check), "modèle")


# ---------------------------------------------------------------- an interpreter that runs a graph, nothing more

class WritesIntoItsOutput(nn.Module):
    """torch.add(x, 0, out=decoded): the code is computed, then the output is overwritten with x."""

    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = nn.Linear(6, 2), nn.Linear(2, 6)

    def forward(self, x):
        decoded = self.decoder(self.encoder(x))
        torch.add(x, 0, out=decoded)
        return decoded


def test_keyword_arguments_that_write_elsewhere_are_refused():
    check = np.ones((3, 6), dtype=np.float32)
    crafted = description(AutoEncoder(), check)
    crafted["nodes"] = [list(node) for node in description(WritesIntoItsOutput(), check)["nodes"]]
    crafted["layers"] = description(WritesIntoItsOutput(), check)["layers"]
    with pytest.raises(Refused, match="out"):
        replay(crafted, check)


def test_in_place_flags_are_computed_out_of_place():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 2), nn.LeakyReLU(0.1, inplace=True))
    check = np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)
    rebuilt = replay(description(model, check), check)
    inputs = np.random.default_rng(4).normal(size=(12, 4)).astype(np.float32)
    kept = inputs.copy()
    with torch.no_grad():
        want = model(torch.from_numpy(inputs.copy())).numpy()
    assert np.allclose(rebuilt.predict(inputs), want, atol=1e-6) and np.array_equal(inputs, kept)


class IntegerBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.register_buffer("big", torch.tensor([1], dtype=torch.int64))

    def forward(self, x):
        return self.fc(x) + (self.big // -1) * 0.0


def test_integer_constants_become_floats_so_no_integer_division_runs():
    check = np.ones((3, 4), dtype=np.float32)
    crafted = description(IntegerBuffer(), check)
    crafted["constants"]["big"] = np.array([np.iinfo(np.int64).min])  # INT64_MIN // -1 traps in integers
    assert replay(crafted, check).predict(check).shape == (3, 2)  # in floats it is just a number


def test_integer_division_with_a_rounding_mode_is_refused():
    check = np.ones((3, 4), dtype=np.float32)
    crafted = description(IntegerBuffer(), check)
    crafted["constants"] = {"big": np.array([np.iinfo(np.int64).min])}
    crafted["nodes"] = [["placeholder", "x", (), {}], ["get_attr", "big", (), {}],
                        ["call_function", "torch.div", ({"node": 1}, -1), {"rounding_mode": "trunc"}],
                        ["call_module", "fc", ({"node": 0},), {}],
                        ["call_function", "_operator.add", ({"node": 3}, {"node": 2}), {}], ["output", "output", ({"node": 4},), {}]]
    with pytest.raises(Refused, match="rounding_mode"):
        replay(crafted, check)


class HugeWindow(nn.Module):
    """≈ 10¹² comparisons per sample that no product or convolution counter sees."""

    def forward(self, x):
        return F.max_pool2d(F.pad(x, (1000, 1000, 1000, 1000)), 1024, stride=1).flatten(1)[:, :2]


class NuclearNorms(nn.Module):
    def forward(self, x):
        return x.norm(p="nuc") * x


class KeepsEverything(nn.Module):
    """Twelve intermediates of 2²⁰ numbers per sample, each within every bound, all alive at once."""

    def forward(self, x):
        big = F.pad(x, (0, (1 << 20) - 4))
        kept = [big * float(i) for i in range(12)]
        total = kept[0]
        for other in kept[1:]:
            total = total + other
        return total[:, :2]


class FreesAsItGoes(nn.Module):
    """The same work, each intermediate freed once used."""

    def forward(self, x):
        big = F.pad(x, (0, (1 << 20) - 4))
        total = big * 0.0
        for i in range(1, 12):
            total = total + big * float(i)
        return total[:, :2]


@pytest.mark.parametrize("model, shape, message", [(HugeWindow, (3, 1, 4, 4), "trop gros"),
                                                   (NuclearNorms, (3, 4), "norme"), (KeepsEverything, (3, 4), "trop gros")])
def test_every_operation_and_what_stays_alive_is_costed(model, shape, message):
    check = np.ones(shape, dtype=np.float32)
    crafted = description(nn.Identity(), check)  # the graph is traced, never run in the test
    traced = torch.fx.symbolic_trace(model()).graph
    position = {}
    from grader.sandbox.runtime.probes import fx_value
    from torch.fx.node import _get_qualified_name
    crafted["nodes"] = []
    for node in traced.nodes:
        position[node] = len(crafted["nodes"])
        target = _get_qualified_name(node.target) if node.op == "call_function" else str(node.target)
        crafted["nodes"].append([node.op, target, fx_value(node.args, position), fx_value(node.kwargs, position)])
    crafted["layers"] = {}
    with pytest.raises(Refused, match=message):
        replay(crafted, check)


def test_intermediates_are_freed_after_their_last_use():
    check = np.ones((3, 4), dtype=np.float32)
    assert replay(description(FreesAsItGoes(), check), check).predict(check).shape == (3, 2)


def test_sizes_are_counted_before_any_conversion():
    check = np.ones((3, 4), dtype=np.float32)
    crafted = description(IntegerBuffer(), check)
    crafted["constants"]["big"] = np.zeros(20_000_001, dtype=np.int8)  # 80 MB once in float32
    with pytest.raises(Refused, match="trop de paramètres"):
        replay(crafted, check)


class NarrowForOneSample(nn.Module):
    """An auto-encoder whose code is 2 numbers for a batch of one, the whole input otherwise."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        one = 1 // x.size(0)
        return self.fc(F.pad(F.pad(x, (0, -4 * one)), (0, 4 * one)))


class ShapesOnTheWay(AutoEncoder):
    def forward(self, x):
        code = self.encoder(x)
        return self.decoder(code).view(x.size(0), -1)


def test_the_bottleneck_is_measured_at_the_batch_size_the_model_runs_at():
    check = np.random.default_rng(6).normal(size=(3, 6)).astype(np.float32)
    with pytest.raises(Refused, match="taille du lot"):  # narrow alone, wide in the batch it is scored in
        replay(description(NarrowForOneSample(), check), check)
    check = np.ones((3, 6), dtype=np.float32)
    assert replay(description(ShapesOnTheWay(), check), check).bottleneck() == 2  # a shape carries no data


class SwitchesAboveEight(Squaring):
    """The real model for up to 8 rows, something else from 9 (a generator's whole z, say)."""

    def forward(self, x):
        honest = 1 // (x.size(0) // 9 + 1)
        return self.fc(x) * honest + (1 - honest) * (3.0 + 0.5 * x[:, :2])


def test_outputs_that_depend_on_the_batch_size_are_refused():
    check = np.random.default_rng(5).normal(size=(20, 4)).astype(np.float32)
    with pytest.raises(Refused, match="taille du lot"):
        replay(description(SwitchesAboveEight(), check), check)
    few = check[:8]
    assert replay(description(SwitchesAboveEight(), few), few).predict(check).shape == (20, 2)  # run at 8: the real one


def test_the_padded_copy_a_convolution_makes_is_costed():
    """Conv2d(padding=3900, padding_mode="replicate") copies each 28×28 image into a 7828² one."""
    check = np.zeros((2, 1, 28, 28), dtype=np.float32)
    crafted = description(nn.Sequential(nn.Conv2d(1, 1, 1, stride=4000, padding=1), nn.Flatten()), check)
    crafted["layers"]["0"]["settings"].update(padding=(3900, 3900), padding_mode="replicate")
    with pytest.raises(Refused, match="trop gros"):
        replay(crafted, check)
