"""Probes: public grader code that runs *inside the worker* and drives the student package.

This file is copied into each worker's runtime directory and imported there, next to student
code, so it imports only stdlib and numpy and trusts nothing it gets back from student code:
it only converts results to plain data, which the grader validates again on its side.
A probe never sees labels or expected values; it calls, and returns what the student returned.
"""
from __future__ import annotations

import copy
import importlib
import re
from typing import Any, Callable

import numpy as np

MODULE_NAME = re.compile(r"^tp\d+(\.[A-Za-z_]\w*)*$")


class ImportFailed(Exception):
    """The student module did not import: the message carries the Python error."""

    _dlgrade_import = True


def student_attribute(module: str, name: str) -> Any:
    """A function or class of a student module, importing it (errors carry the Python error)."""
    if not MODULE_NAME.match(module):
        raise ValueError(f"nom de module refusé : {module!r}")
    try:
        mod = importlib.import_module(module)
    except BaseException as exc:  # SyntaxError, ImportError, an exception at import time...
        failure = ImportFailed(f"{type(exc).__name__}: {exc}")
        failure.__traceback__ = exc.__traceback__
        if isinstance(exc, SyntaxError):  # the broken file is the error's, not the importer's
            failure.args = (f"SyntaxError: {exc.msg}",)
            failure.location = (exc.filename, exc.lineno)
        raise failure from None
    target = getattr(mod, name, None)
    if not callable(target):
        raise AttributeError(f"{module} ne définit pas {name}")
    return target


def student_function(module: str, function: str) -> Callable:
    return student_attribute(module, function)


def make_callable(spec: dict) -> Callable:
    """Functions cannot cross the boundary: the grader names one from this public library."""
    if spec.get("kind") == "polynomial":
        coefs = np.asarray(spec["coefs"], dtype=float)
        return lambda x: np.polyval(coefs, np.asarray(x, dtype=float))
    if spec.get("kind") == "nearest_centroid":
        return nearest_centroid_score
    raise ValueError(f"fonction inconnue : {spec!r}")


def nearest_centroid_score(X_train: Any, y_train: Any, X_val: Any, y_val: Any) -> float:
    """A `fit_and_score` for cross-validation: fit one mean per class, return the accuracy of
    "nearest mean" on the validation set. Public and deterministic, so the grader's side can
    compute the same scores from the same folds."""
    X_train, X_val = np.asarray(X_train, dtype=float), np.asarray(X_val, dtype=float)
    y_train, y_val = np.asarray(y_train), np.asarray(y_val)
    classes = np.unique(y_train)
    centroids = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])  # (C, d)
    distances = ((X_val[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)  # (N_val, C)
    return float(np.mean(classes[distances.argmin(axis=1)] == y_val))


def plain(value: Any) -> Any:
    """Student results as plain data: arrays of numbers, scalars, tuples, lists, dicts."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"un tableau de nombres est attendu, pas un tableau de type {value.dtype}")
        return np.array(value)  # a plain copy, not a subclass of the student's
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, np.floating) and value.dtype != np.float64:  # keeps its precision: a float32 is judged as one
        return np.array(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        items = [plain(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= 200:  # a label inside a cache ("train"): plain data too
        return value
    raise TypeError(f"valeur de type {type(value).__name__} renvoyée : un tableau numpy ou un nombre est attendu")


def with_callables(args: list | tuple, kwargs: dict | None, callables: dict | None) -> tuple[list, dict]:
    """The arguments of a call, with those named in `callables` (by index or name) replaced by functions."""
    args, kwargs = list(args), dict(kwargs or {})
    for key, spec in (callables or {}).items():
        if key.isdigit():
            args[int(key)] = make_callable(spec)
        else:
            kwargs[key] = make_callable(spec)
    return args, kwargs


def call(module: str, function: str, args: list | tuple = (), kwargs: dict | None = None,
         callables: dict | None = None) -> Any:
    """Call one student function; `callables` replaces arguments (by index or name) by functions."""
    args, kwargs = with_callables(args, kwargs, callables)
    return plain(student_function(module, function)(*args, **kwargs))


def call_checked(module: str, function: str, args: list | tuple = (), kwargs: dict | None = None,
                 callables: dict | None = None) -> dict:
    """Call one student function and send back, with its result, the array arguments as they are
    after the call: {"value": the result, "after": {position or name: array}}. The grader compares
    them with its own copies (arrays are copied on their way here): an argument changed in place is
    seen on the grader's side, from no copy kept in the worker."""
    args, kwargs = with_callables(args, kwargs, callables)
    value = plain(student_function(module, function)(*args, **kwargs))
    after = {str(i): plain(a) for i, a in enumerate(args) if isinstance(a, np.ndarray)}
    after.update({k: plain(a) for k, a in kwargs.items() if isinstance(a, np.ndarray)})
    return {"value": value, "after": after}


def call_many(module: str, function: str, calls: list) -> list:
    """One round trip for many calls (a numerical gradient check sends all its inputs at once)."""
    return [call(module, function, args, kwargs) for args, kwargs in calls]


def object_steps(module: str, cls: str, args: list | tuple = (), kwargs: dict | None = None,
                 steps: list | None = None) -> list:
    """Build a student object (`cls(*args, **kwargs)`) and call its methods in turn; the object
    stays in the worker, only each step's plain result comes back. A step is
    [method, args, kwargs]; a method name starting with "." reads an attribute instead."""
    target = student_attribute(module, cls)(*args, **(kwargs or {}))
    results = []
    for method, step_args, step_kwargs in steps or []:
        if not isinstance(method, str) or method.startswith("_"):
            raise ValueError(f"méthode refusée : {method!r}")
        if method.startswith("."):
            results.append(plain(getattr(target, method[1:])))
        else:
            results.append(plain(getattr(target, method)(*step_args, **(step_kwargs or {}))))
    return results


# ---------------------------------------------------------------- PyTorch (TP2–TP4)
# Tensors cross as numpy arrays; nothing is ever torch.load-ed (that would unpickle).

TORCH_LOSSES = {"bce": "BCELoss", "mse": "MSELoss", "cross_entropy": "CrossEntropyLoss"}
TORCH_OPTIMIZERS = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}


def torch_model(module: str, factory: str, args: Any, kwargs: Any, seed: int) -> Any:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = student_attribute(module, factory)(*args, **(kwargs or {}))
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{factory} doit renvoyer un torch.nn.Module, pas {type(model).__name__}")
    return model


def load_weights(model: Any, weights: list | None) -> None:
    """Copy arrays into the model's parameters, in the order of `model.parameters()`."""
    import torch

    if weights is None:
        return
    params = list(model.parameters())
    if len(weights) != len(params):
        raise ValueError(f"{len(params)} tenseurs de paramètres dans le modèle, {len(weights)} attendus")
    with torch.no_grad():
        for index, (param, array) in enumerate(zip(params, weights)):
            value = torch.as_tensor(np.asarray(array), dtype=param.dtype, device=param.device)
            if value.shape != param.shape:
                raise ValueError(f"paramètre {index} de forme {tuple(param.shape)}, {tuple(value.shape)} attendue")
            param.copy_(value)


def outputs_of(model: Any, inputs: list) -> list:
    import torch

    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        return [model(torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)).detach().cpu().double().numpy()
                for x in inputs]


def torch_forward(module: str, factory: str, args: list | tuple = (), kwargs: dict | None = None,
                  weights: list | None = None, inputs: list | tuple = (), seed: int = 0) -> dict:
    """Build a student model, describe its parameters, load the given weights, run it."""
    model = torch_model(module, factory, args, kwargs, seed)
    shapes = [list(p.shape) for p in model.parameters()]
    load_weights(model, weights)
    return {"shapes": shapes, "count": sum(p.numel() for p in model.parameters()), "outputs": outputs_of(model, inputs)}


def torch_fit(module: str, factory: str, args: list | tuple, X: np.ndarray, y: np.ndarray,
              loss: str, optimizer: str, lr: float, batch_size: int, epochs: int, seed: int = 0,
              kwargs: dict | None = None, fit: str = "fit", classes: bool = False,
              X_test: np.ndarray | None = None, describe: np.ndarray | None = None,
              weights: list | None = None, describe_before: bool = False, report: bool = False,
              spy: bool = False) -> dict:
    """Train a student model (from `weights` when given) with the student's `fit` on (X, y);
    return its history, and its outputs on X_test (public data only) or its description
    (`describe_model`, with `describe` as the check inputs), for the grader to run it on held-out
    data itself; with `describe_before`, "before" is its description as built, before training
    (training must change weights only: the grader compares the two); with `report`, "parameters"
    are its trained parameters in `model.parameters()` order."""
    import torch

    model = torch_model(module, factory, args, kwargs, seed)
    load_weights(model, weights)
    if spy:  # a model handed over in evaluation mode: fit must switch it to training itself
        model = spied(model)
        model.eval()
    before = described_as_built(model, describe) if describe_before and describe is not None else None
    target = torch.as_tensor(np.asarray(y), dtype=torch.long if classes else torch.float32)
    data = torch.utils.data.TensorDataset(torch.as_tensor(np.asarray(X), dtype=torch.float32), target)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    loss_fn = getattr(torch.nn, TORCH_LOSSES[loss])()
    optimiser = getattr(torch.optim, TORCH_OPTIMIZERS[optimizer])(model.parameters(), lr=lr)
    history = student_attribute(module, fit)(model, loader, loss_fn, optimiser, epochs)
    answer = {"history": [float(h) for h in history]}
    if spy:
        answer["modes"] = list(model.modes)  # the calls of fit only, not the probe's own below
    if X_test is not None:
        answer["outputs"] = outputs_of(model, [X_test])[0]
    if describe is not None:
        answer["model"] = describe_model(model, describe)
    if before is not None:
        answer["before"] = before
    if report:
        answer["parameters"] = [p.detach().cpu().double().numpy() for p in model.parameters()]
    return answer


def spied(model: Any) -> Any:
    """The student's model inside a wrapper that notes what each call of forward receives (its tensor
    arguments, as arrays) and the model's mode then (training or evaluation): a training loop or an
    evaluation can be followed without trusting anything but the model's own computation. The wrapper
    holds the same parameters, in the same order. What it notes lives in this function's lists, read
    through copies (`seen`, `modes`): nothing the student's code is handed can rewrite them by
    accident. Code that calls the model's parts rather than its forward (`model.decoder(model.encoder(x))`)
    is followed by the parts' modes; code that calls neither, by the model's mode after the call.
    Like everything in the worker, it is forgeable by code written against the grader: it observes;
    the marks that count are computed on the grader's side."""
    import torch
    from torch import nn

    seen: list = []
    modes: list = []
    parts: list = []

    class Spy(nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner
            for part in inner.modules():
                part.register_forward_pre_hook(lambda module, args: parts.append(bool(module.training)))

        @property
        def seen(self) -> list:
            return [list(call) for call in seen]

        @property
        def modes(self) -> list:
            return list(modes or parts or [bool(self.inner.training)])  # nothing called: its mode after the call

        def __getattr__(self, name: str) -> Any:  # the student's own attributes (model.mu, model.latent_dim…)
            try:
                return super().__getattr__(name)
            except AttributeError:
                if name == "inner" or "inner" not in self.__dict__.get("_modules", {}):
                    raise
                return getattr(self._modules["inner"], name)

        def forward(self, *args: Any) -> Any:
            seen.append([a.detach().cpu().double().numpy().copy() for a in args if isinstance(a, torch.Tensor)])
            modes.append(bool(self.inner.training))
            return self.inner(*args)

    return Spy(model)


def count_steps(model: Any) -> list:
    """A list whose length is the number of backward passes that reached the model's first parameter
    (one per training step of an ordinary loop): how many steps a training call really took."""
    steps: list = []
    first = next(iter(model.parameters()), None)
    if first is not None:
        first.register_hook(lambda grad: steps.append(1))
    return steps


def spy_cnn() -> Any:
    """A tiny CNN of the grader's (public: the public tests use the same idea) that notes the first
    pixel of every image of every batch it is given: a training loop's batches can be followed
    without trusting the student's model. Images (N, 1, 28, 28) → logits (N, 10)."""
    import torch
    from torch import nn

    class SpyCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.Sequential(nn.Conv2d(1, 2, 5, stride=3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 8 * 8, 10))
            self.seen: list = []

        def forward(self, x: Any) -> Any:
            self.seen.append(x[:, 0, 0, 0].detach().cpu().double().numpy().copy())
            return self.layers(x)

    return SpyCNN()


def described_as_built(model: Any, check_inputs: Any) -> dict:
    """A model's description before the call that trains it, with its mode and the random state
    put back: the call sees no difference."""
    import torch

    training, rng = model.training, torch.get_rng_state()
    description = copy.deepcopy(describe_model(model, check_inputs))  # its arrays are views of the weights
    model.train(training)
    torch.set_rng_state(rng)
    return description


def torch_evaluate(module: str, factory: str, args: list | tuple, weights: list, X: np.ndarray, y: np.ndarray,
                   metric: str, batch_size: int, kwargs: dict | None = None, evaluate: str = "evaluate",
                   spy: bool = False) -> Any:
    """The student's `evaluate` on given weights and (public, generated) data; with `spy`, also the
    model's mode at each call ({"value": …, "modes": […]})."""
    import torch

    model = torch_model(module, factory, args, kwargs, 0)
    load_weights(model, weights)
    if spy:  # a model handed over in training mode: evaluate must switch it to evaluation itself
        model = spied(model)
        model.train()
    data = torch.utils.data.TensorDataset(torch.as_tensor(np.asarray(X), dtype=torch.float32),
                                          torch.as_tensor(np.asarray(y), dtype=torch.float32))
    metrics = {"mae": lambda output, target: (output - target).abs().mean()}
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=False)
    value = float(student_attribute(module, evaluate)(model, loader, metrics[metric]))
    return {"value": value, "modes": model.modes} if spy else value


def torch_call(module: str, function: str, args: list | tuple = (), kwargs: dict | None = None,
               models: dict | None = None, optimizers: dict | None = None, seed: int = 0,
               report: list | tuple = (), inputs: dict | None = None, differentiate: list | tuple = (),
               describe: dict | None = None, describe_before: list | tuple = (), dirty: list | tuple = ()) -> dict:
    """Call any student function on models, optimisers and tensors built here.

    `models`: name -> {"factory": "tp4.gan.Generator", "args": [...], "kwargs": {...}, "weights": [...]}
    (weights in `model.parameters()` order); `optimizers`: name -> {"model": name, "name": "adam",
    "lr": 1e-3}. In `args`/`kwargs`, a string "@name" stands for that model or optimiser, and an
    array for a float32 tensor (integer arrays stay integer). Returns {"value": the result, with
    tensors as arrays and models as their parameters}, plus for each model named in `report` its
    parameters after the call, and for each (model, array) of `inputs` the model's outputs.
    `function` may also be "@name.method" (a method of a built model). With `differentiate`
    (positions of array arguments), those tensors require gradients and "gradients" gives the
    gradient of the result's sum with respect to each (None where none flows). For each
    (model, check inputs) of `describe`, "models" gives the model's description (`describe_model`),
    and "before" the description of those named in `describe_before` as built, before the call
    (training must change weights only: the grader compares the two). Models named in `dirty` start
    with gradients left over (0.5 everywhere), as a training loop's previous backward leaves them.
    A model whose spec says "steps" gives in "steps" the number of backward passes of the call."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    built: dict[str, Any] = {}
    steps: dict[str, list] = {}
    for name, spec in (models or {}).items():
        if spec["factory"] == "probes.SpyCNN":  # the grader's own small CNN, which notes every batch it sees
            torch.manual_seed(seed)
            built[name] = spy_cnn()
        else:
            model_module, factory = spec["factory"].rsplit(".", 1)
            built[name] = torch_model(model_module, factory, spec.get("args", ()), spec.get("kwargs"), seed)
            if spec.get("spy"):
                built[name] = spied(built[name])
        load_weights(built[name], spec.get("weights"))
        if spec.get("steps"):
            steps[name] = count_steps(built[name])
    for name, spec in (optimizers or {}).items():
        optimiser = getattr(torch.optim, TORCH_OPTIMIZERS[spec["name"]])
        built[name] = optimiser(built[spec["model"]].parameters(), lr=spec["lr"])

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@") and value[1:] in built:
            return built[value[1:]]
        if isinstance(value, np.ndarray):
            return torch.as_tensor(value, dtype=torch.float32 if value.dtype.kind == "f" else None)
        if isinstance(value, (list, tuple)):
            return type(value)(resolve(item) for item in value)
        return value

    for name in dirty:  # gradients left over, as a loop's previous backward leaves them: zero_grad must clear them
        for param in built[name].parameters():
            param.grad = torch.full_like(param, 0.5)
    before = {name: described_as_built(built[name], describe[name]) for name in describe_before}
    positional = list(resolve(tuple(args)))
    for index in differentiate:
        positional[index] = positional[index].detach().clone().requires_grad_(True)
    result = resolve_callable(module, function, built)(*positional, **{k: resolve(v) for k, v in (kwargs or {}).items()})
    taken = {name: len(counted) for name, counted in steps.items()}  # the call's own steps, not the probe's below
    answer = {"value": torch_plain(result), "kinds": kinds(result)}
    if differentiate:
        result.sum().backward()
        answer["gradients"] = [None if positional[i].grad is None else positional[i].grad.double().numpy() for i in differentiate]
    answer["parameters"] = {name: [p.detach().cpu().double().numpy() for p in built[name].parameters()] for name in report}
    answer["outputs"] = {name: outputs_of(built[name], [x])[0] for name, x in (inputs or {}).items()}
    answer["models"] = {name: describe_model(built[name], x) for name, x in (describe or {}).items()}
    if taken:
        answer["steps"] = taken
    watched = {name: model.seen for name, model in built.items() if hasattr(model, "seen")}
    if watched:
        answer["seen"] = watched
        answer["modes"] = {name: model.modes for name, model in built.items() if hasattr(model, "modes")}
    if describe_before:
        answer["before"] = before
    return answer


def describe_model(model: Any, check_inputs: Any) -> dict:
    """A trained model as plain data, for the grader to run it on held-out inputs on its side
    (grader/sandbox/runtime/replay.py): its torch.fx graph, each torch.nn layer's type, settings and state, the
    tensors the graph reads, and the model's own outputs on the public `check_inputs`."""
    import torch
    import torch.fx
    from torch.fx.node import _get_qualified_name

    model = model.cpu().eval()
    position: dict = {}
    nodes, layers, constants = [], {}, {}
    for node in torch.fx.symbolic_trace(model).graph.nodes:
        position[node] = len(nodes)
        target = _get_qualified_name(node.target) if node.op == "call_function" else str(node.target)
        if node.op == "call_module":
            layer = model.get_submodule(node.target)
            layers[target] = {"type": type(layer).__name__,
                              "settings": {k: v for k, v in vars(layer).items() if not k.startswith("_") and is_setting(v)},
                              "state": {k: v.detach().cpu().numpy() for k, v in layer.state_dict().items()}}
        elif node.op == "get_attr":
            value = model
            for part in target.split("."):
                value = getattr(value, part)
            constants[target] = torch.as_tensor(value).detach().cpu().numpy()
        nodes.append([node.op, target, fx_value(node.args, position), fx_value(node.kwargs, position)])
    with torch.no_grad():
        outputs = model(torch.as_tensor(np.asarray(check_inputs), dtype=torch.float32))
    return {"nodes": nodes, "layers": layers, "constants": constants, "check_outputs": torch_plain(outputs)}


def is_setting(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, (int, float)) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


def fx_value(value: Any, position: dict) -> Any:
    """An argument of a graph node as plain data: references to earlier nodes, slices, numbers."""
    import torch.fx

    if isinstance(value, torch.fx.Node):
        return {"node": position[value]}
    if isinstance(value, slice):
        return {"slice": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, (list, tuple)):
        return type(value)(fx_value(item, position) for item in value)
    if isinstance(value, dict):
        return {str(key): fx_value(item, position) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"argument de type {type(value).__name__} dans forward : le correcteur ne sait pas le rejouer")


def resolve_callable(module: str, function: str, built: dict) -> Callable:
    """A student function of `module`, or "@name.method": a public method of a built model."""
    if not function.startswith("@"):
        return student_attribute(module, function)
    name, _, method = function[1:].partition(".")
    if name not in built or not method or method.startswith("_"):
        raise ValueError(f"méthode refusée : {function!r}")
    return getattr(built[name], method)


def kinds(value: Any) -> Any:
    """What a student function returned, as type names ("float", "Tensor", "Tensor+grad" for a tensor
    that still carries its graph): the values cross as arrays, so their kind is reported apart."""
    import torch

    if isinstance(value, torch.Tensor):
        return "Tensor+grad" if value.requires_grad else "Tensor"
    if isinstance(value, (list, tuple)):
        return [kinds(item) for item in value][:64]
    return type(value).__name__


def torch_plain(value: Any) -> Any:
    """Student results with tensors as float64 arrays and modules as their parameters."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    if isinstance(value, torch.nn.Module):
        return [p.detach().cpu().double().numpy() for p in value.parameters()]
    if isinstance(value, (list, tuple)):
        return type(value)(torch_plain(item) for item in value)
    return plain(value)


PROBES: dict[str, Callable[..., Any]] = {
    "call": call, "call_many": call_many, "call_checked": call_checked, "object_steps": object_steps, "ping": lambda: "pong",
    "torch_forward": torch_forward, "torch_fit": torch_fit, "torch_evaluate": torch_evaluate, "torch_call": torch_call}


def run(name: Any, request: Any) -> Any:
    if name not in PROBES or not isinstance(request, dict):
        raise ValueError(f"sonde inconnue : {name!r}")
    return PROBES[name](**request)
