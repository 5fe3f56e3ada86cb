"""Run a student's trained PyTorch model on the trusted side, from a plain-data description.

Held-out inputs must never reach student code (`grader.heldout`). So the worker does not run the
trained model on them: it traces it with torch.fx and sends its graph, the type and settings of
each torch.nn layer and every parameter and buffer (the probe `describe_model`). Here the model
is rebuilt from torch's own classes and functions, chosen from fixed lists, and run by a small
interpreter: no student code, no code generation, nothing unpickled. A forward that does more
than call layers and tensor operations (numpy, files, randomness) cannot be described faithfully,
which the check on public inputs detects.

Everything is checked before any real computation: the graph's size, every name, every value,
the parameters' shapes; then one pass on torch's "meta" device gives every intermediate shape
and the number of operations, so that a description cannot make the grader allocate or compute
without bound. Problems raise `Feedback` with a French message: they cost the test, nothing else.
"""
from __future__ import annotations

import copy
import inspect
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.fx.node import _get_qualified_name
from torch.utils.flop_counter import FlopCounterMode

from .testkit import Feedback, expect

MAX_NODES = 400  # operations in a graph
MAX_VALUES = 20_000_000  # numbers in all parameters and buffers
MAX_ACTIVATION = 1 << 22  # numbers in one intermediate result, per sample
MAX_FLOPS = 2e8  # floating-point operations per sample (the course's digit CNN needs ~2e6)
BATCH_NUMBERS = 1 << 24  # numbers of the largest intermediate result in one batch
MAX_INT = 1 << 40  # a Python integer the graph reads or computes (a shape, an index): its arithmetic runs here

LAYERS = {name: getattr(nn, name) for name in (
    "Linear", "Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "Dropout1d", "Dropout2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Flatten",
    "Unflatten", "Identity", "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
    "Softmax", "LogSoftmax")}
IDENTITY = lambda x, *args, **kwargs: x  # noqa: E731 - dropout when evaluating
ALLOWED_FUNCTIONS = (
    torch.relu, torch.sigmoid, torch.tanh, torch.flatten, torch.reshape, torch.cat, torch.stack, torch.conv2d,
    torch.max_pool2d, torch.softmax, torch.log_softmax, torch.add, torch.sub, torch.mul, torch.div, torch.matmul,
    torch.squeeze, torch.unsqueeze, torch.transpose, torch.permute, torch.clamp, torch.exp, torch.mean, torch.sum,
    F.relu, F.relu6, F.leaky_relu, F.elu, F.gelu, F.silu, F.sigmoid, F.tanh, F.softmax, F.log_softmax, F.max_pool2d,
    F.avg_pool2d, F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.conv2d, F.linear, F.pad,
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.neg, operator.matmul,
    operator.getitem)
# Keyed by the qualified name torch.fx gives each function (F.avg_pool2d is torch._C._nn.avg_pool2d…).
GETATTR = frozenset(("builtins.getattr", _get_qualified_name(getattr)))  # "getattr" in torch 2.13, was "builtins.…"
OPERATORS = frozenset(_get_qualified_name(f) for f in ALLOWED_FUNCTIONS if f.__module__ in ("_operator", "operator")
                      and f is not operator.getitem)  # on numbers and tensors only: (1,) * n would build a tuple here
FUNCTIONS: dict[str, Callable] = {
    **{_get_qualified_name(function): function for function in ALLOWED_FUNCTIONS},
    **{_get_qualified_name(function): IDENTITY for function in (F.dropout, F.dropout1d, F.dropout2d, F.alpha_dropout,
                                                                  torch.dropout)},
    **{name: (lambda value, attribute: value.shape) for name in GETATTR},  # checked when called: only ".shape" of a tensor
}
METHODS = frozenset((
    "view", "reshape", "flatten", "size", "relu", "sigmoid", "tanh", "squeeze", "unsqueeze", "permute", "transpose",
    "contiguous", "float", "mean", "sum", "softmax", "log_softmax", "clamp", "exp", "view_as", "t", "dim", "norm", "abs",
    "sqrt", "pow", "std", "var", "max", "min", "amax", "amin"))
NAME = re.compile(r"^\w[\w.]{0,79}$")  # names of layers, functions, methods: shown to the student
OPS = frozenset(("placeholder", "get_attr", "call_module", "call_function", "call_method", "output"))
SETTING_TYPES = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class Node:
    op: str  # one of OPS
    target: str  # a layer's path, a function's qualified name, a method's name, a constant's name
    args: tuple  # arguments, with Ref for other nodes' results
    kwargs: dict  # keyword arguments


@dataclass(frozen=True)
class Ref:
    index: int  # the position of an earlier node in the graph


TOO_BIG = "votre modèle est trop gros pour être évalué (calculs ou résultats intermédiaires par exemple)"


def bounded(value: Any, depth: int = 0) -> bool:
    """A value the graph computed that is not a tensor (a shape, an index, a tuple of them) stays
    small: Python's integers and tuples grow without limit, and this runs in the grader."""
    if isinstance(value, bool) or not isinstance(value, (int, tuple, list)):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_INT
    return depth < 4 and len(value) <= 64 and all(bounded(item, depth + 1) for item in value)


class TrustedModel:
    """A student's model rebuilt from torch's classes; `predict` runs it here, in evaluation mode."""

    def __init__(self, nodes: list[Node], layers: dict[str, nn.Module], constants: dict[str, torch.Tensor]) -> None:
        self.nodes, self.layers, self.constants = nodes, layers, constants
        self.numbers_per_sample = 1
        self.widths: dict[int, int] = {}  # node index -> numbers of its tensor for one sample (check_costs)

    def forward(self, x: torch.Tensor, widths: dict[int, int] | None = None) -> Any:
        """Interpret the graph on x; `widths` collects the size of every tensor (node index -> numbers)."""
        values: list[Any] = []
        for node in self.nodes:
            args, kwargs = resolve(node.args, values), resolve(node.kwargs, values)
            if node.op == "placeholder":
                value = x if not values else (args[0] if args else None)
            elif node.op == "get_attr":
                value = self.constants[node.target]
            elif node.op == "call_module":
                value = self.layers[node.target](*args, **kwargs)
            elif node.op == "call_function":
                if node.target in GETATTR and not (len(args) == 2 and args[1] == "shape"
                                                   and isinstance(args[0], torch.Tensor)):
                    raise Feedback("forward ne peut lire que l'attribut .shape d'un tenseur")
                if node.target in OPERATORS and not all(isinstance(a, (torch.Tensor, int, float)) for a in args):
                    raise Feedback(f"forward applique {node.target.split('.')[-1]} à autre chose que des nombres "
                                   "ou des tenseurs")
                value = FUNCTIONS[node.target](*args, **kwargs)
            elif node.op == "call_method":
                if not args or not isinstance(args[0], torch.Tensor):
                    raise Feedback(f"forward appelle .{node.target}() sur autre chose qu'un tenseur")
                value = getattr(args[0], node.target)(*args[1:], **kwargs)
            else:  # output
                return args[0]
            if widths is not None and isinstance(value, torch.Tensor):
                widths[len(values)] = value.numel()
            if not bounded(value):
                raise Feedback("forward calcule un entier trop grand ou une liste trop longue")
            values.append(value)
        raise Feedback("le graphe du modèle n'a pas de sortie")

    def costs(self, shape: tuple[int, ...]) -> tuple[dict[int, int], float]:
        """One pass on the meta device (shapes only, no data) on an input of this shape: the size
        of every tensor (node index -> numbers) and the number of operations."""
        meta = TrustedModel(self.nodes, {name: copy.deepcopy(layer).to("meta") for name, layer in self.layers.items()},
                            {name: value.to("meta") for name, value in self.constants.items()})
        widths: dict[int, int] = {}
        try:
            with FlopCounterMode(display=False) as counter:
                meta.forward(torch.empty(shape, device="meta"), widths)
        except Feedback:
            raise
        except Exception as exc:  # a shape mismatch, a bad argument: the student's model is at fault
            raise Feedback(f"votre modèle ne s'exécute pas sur une entrée de forme {shape} "
                           f"({type(exc).__name__})") from None
        return widths, counter.get_total_flops()

    def check_costs(self, sample_shape: tuple[int, ...]) -> None:
        """Every intermediate result and the operations per sample are bounded before anything
        real is computed (then again for each batch `predict` runs: shapes may depend on it)."""
        self.widths, flops = self.costs((1, *sample_shape))
        self.numbers_per_sample = max(self.widths.values())
        expect(self.numbers_per_sample <= MAX_ACTIVATION and flops <= MAX_FLOPS, TOO_BIG)

    def bottleneck(self) -> int:
        """The fewest numbers per sample through which every path from the input to the output
        goes (an auto-encoder's code): the input's own size when the output can bypass every
        narrower result (an identity, a lookup of the training rows). After `check_costs`."""
        widths = self.widths
        successors: dict[int, set[int]] = {index: set() for index in range(len(self.nodes))}
        for index, node in enumerate(self.nodes):
            for ref in refs((node.args, node.kwargs)):
                successors[ref].add(index)
        output = len(self.nodes) - 1

        def connected_without(skipped: int) -> bool:
            seen, todo = {0}, [0]
            while todo:
                for nxt in successors[todo.pop()] - seen:
                    if nxt != skipped:
                        seen.add(nxt)
                        todo.append(nxt)
            return output in seen

        return min([width for index, width in widths.items() if 0 < index < output and not connected_without(index)],
                   default=widths[0])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Outputs for inputs X (float32), in batches whose intermediate results stay bounded: each
        batch's shape is checked on the meta device first (a forward may grow with the batch)."""
        batch = max(1, BATCH_NUMBERS // (self.numbers_per_sample * 8))
        outputs, checked = [], set()
        with torch.no_grad():
            for start in range(0, len(X), batch):
                chunk = np.asarray(X[start:start + batch], dtype=np.float32)
                if chunk.shape not in checked:
                    widths, flops = self.costs(chunk.shape)
                    expect(max(widths.values()) <= BATCH_NUMBERS and flops <= MAX_FLOPS * len(chunk), TOO_BIG)
                    checked.add(chunk.shape)
                out = self.forward(torch.as_tensor(chunk))
                if not isinstance(out, torch.Tensor):
                    raise Feedback("forward doit renvoyer un tenseur")
                outputs.append(out.double().numpy())
        return np.concatenate(outputs)


def architecture(description: Any) -> Any:
    """What training may not change in a model: its graph, its layers' types, settings and
    parameter shapes, the shapes of the tensors its forward reads (plain data, whatever was sent)."""
    if not isinstance(description, dict):
        return None
    shapes = lambda d: {str(k): np.shape(v) for k, v in d.items()} if isinstance(d, dict) else None  # noqa: E731
    layers = description.get("layers")
    return (repr(description.get("nodes")), shapes(description.get("constants")),
            {str(name): (repr(spec.get("type")), repr(spec.get("settings")), shapes(spec.get("state")))
             for name, spec in layers.items() if isinstance(spec, dict)} if isinstance(layers, dict) else None)


def same_architecture(before: Any, after: Any, what: str) -> None:
    """Training changes a model's weights, never its graph, layers or tensors: a forward that
    switched to another computation once trained (a lookup of the training data…) is refused."""
    expect(architecture(before) is not None and architecture(before) == architecture(after),
           f"{what} : l'entraînement ne doit changer que les poids du modèle ; son graphe, ses couches ou ses "
           "tenseurs ne sont plus ceux du modèle construit avant l'entraînement")


def replay(description: Any, check: np.ndarray, what: str = "modèle") -> TrustedModel:
    """Rebuild the model of `description` (from `probes.describe_model`) and check it: on `check`,
    public inputs the worker also ran, its outputs must be the student's model's own."""
    expect(isinstance(description, dict), f"{what} : description du modèle illisible")
    nodes = parse_nodes(description.get("nodes"), what)
    layers = {name: build_layer(name, spec, what) for name, spec in checked_dict(description.get("layers"), what).items()}
    constants = {name: tensor(value, f"{what} : constante {name}")
                 for name, value in checked_dict(description.get("constants"), what).items()}
    size = sum(v.numel() for layer in layers.values() for v in layer.state_dict().values())
    expect(size + sum(c.numel() for c in constants.values()) <= MAX_VALUES, f"{what} : trop de paramètres")
    for node in nodes:
        known = {"call_module": layers, "get_attr": constants, "call_function": FUNCTIONS}.get(node.op)
        if known is not None and node.target not in known:
            raise Feedback(f"{what} : forward utilise {node.target!r}, que le correcteur ne sait pas rejouer "
                           "(utilisez des couches de torch.nn et des fonctions de torch)")
        if node.op == "call_method" and node.target not in METHODS:
            raise Feedback(f"{what} : forward appelle la méthode .{node.target}(), que le correcteur ne sait pas rejouer")
    model = TrustedModel(nodes, layers, constants)
    model.check_costs(tuple(np.shape(check)[1:]))
    got, theirs = model.predict(check), description.get("check_outputs")
    expect(isinstance(theirs, np.ndarray) and theirs.shape == got.shape
           and np.allclose(got, theirs.astype(float), rtol=1e-3, atol=1e-4),
           f"{what} : rejoué à partir de ses couches et de ses poids, le modèle ne redonne pas les sorties de "
           "votre forward ; forward ne doit utiliser que les couches du modèle et des opérations de torch "
           "(pas de numpy, de fichiers ni de hasard)")
    return model


def checked_dict(value: Any, what: str) -> dict:
    expect(isinstance(value, dict), f"{what} : description du modèle illisible")
    return value


def parse_nodes(raw: Any, what: str) -> list[Node]:
    expect(isinstance(raw, list) and 0 < len(raw) <= MAX_NODES, f"{what} : graphe du modèle vide ou trop grand")
    nodes = []
    for item in raw:
        expect(isinstance(item, (list, tuple)) and len(item) == 4 and item[0] in OPS and isinstance(item[1], str)
               and NAME.match(item[1]) and isinstance(item[3], dict), f"{what} : graphe du modèle mal formé")
        args = parse_value(item[2], len(nodes), 0)
        nodes.append(Node(item[0], item[1], tuple(args) if isinstance(args, (list, tuple)) else (args,),
                          {str(k): parse_value(v, len(nodes), 0) for k, v in item[3].items()}))
    expect(nodes[-1].op == "output" and nodes[0].op == "placeholder", f"{what} : graphe du modèle mal formé")
    return nodes


def parse_value(value: Any, position: int, depth: int) -> Any:
    """Arguments as the interpreter takes them: plain values, tuples, slices, references to earlier nodes."""
    if depth > 6:
        raise Feedback("graphe du modèle : arguments trop imbriqués")
    if isinstance(value, SETTING_TYPES):
        if isinstance(value, str) and len(value) > 40:
            raise Feedback("graphe du modèle : argument texte trop long")
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise Feedback("graphe du modèle : entier trop grand")
        return value
    if isinstance(value, (list, tuple)):
        if len(value) > 64:
            raise Feedback("graphe du modèle : trop d'arguments")
        items = [parse_value(item, position, depth + 1) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict) and len(value) == 1:
        (tag, body), = value.items()
        if tag == "node" and type(body) is int and 0 <= body < position:
            return Ref(body)
        if tag == "slice" and isinstance(body, (list, tuple)) and len(body) == 3 \
                and all(b is None or type(b) is int for b in body):
            return slice(*body)
        if tag == "ellipsis":
            return Ellipsis
    raise Feedback("graphe du modèle : argument d'un type que le correcteur ne sait pas rejouer")


def refs(value: Any) -> list[int]:
    """The earlier nodes an argument reads."""
    if isinstance(value, Ref):
        return [value.index]
    if isinstance(value, (list, tuple)):
        return [index for item in value for index in refs(item)]
    if isinstance(value, dict):
        return [index for item in value.values() for index in refs(item)]
    return []


def resolve(value: Any, values: list) -> Any:
    if isinstance(value, Ref):
        return values[value.index]
    if isinstance(value, (list, tuple)):
        return type(value)(resolve(item, values) for item in value)
    if isinstance(value, dict):
        return {key: resolve(item, values) for key, item in value.items()}
    return value


def build_layer(name: str, spec: Any, what: str) -> nn.Module:
    """A torch.nn layer from its type, settings and state, checked on the meta device first."""
    expect(NAME.match(name) is not None, f"{what} : nom de couche illisible")
    expect(isinstance(spec, dict) and spec.get("type") in LAYERS and isinstance(spec.get("settings"), dict)
           and isinstance(spec.get("state"), dict), f"{what} : la couche {name} n'est pas une couche de torch.nn "
           "que le correcteur sait rejouer")
    cls, settings, state = LAYERS[spec["type"]], spec["settings"], spec["state"]
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "device", "dtype")]
    kwargs = {key: setting(settings[key], f"{what} : couche {name}") for key in accepted if key in settings}
    if "bias" in accepted:
        kwargs["bias"] = "bias" in state
    if "elementwise_affine" in accepted:
        kwargs["elementwise_affine"] = "weight" in state
    if "affine" in accepted:
        kwargs["affine"] = "weight" in state
    try:
        layer = cls(**kwargs, **({"device": "meta"} if "device" in inspect.signature(cls.__init__).parameters else {}))
        wanted = {key: tuple(value.shape) for key, value in layer.state_dict().items()}
    except (TypeError, ValueError, RuntimeError) as exc:
        raise Feedback(f"{what} : réglages de la couche {name} ({spec['type']}) invalides ({type(exc).__name__})") from None
    given = {key: tensor(value, f"{what} : {name}.{key}") for key, value in state.items()}
    expect(set(given) == set(wanted) and all(tuple(given[k].shape) == wanted[k] for k in wanted),
           f"{what} : les paramètres de la couche {name} ne correspondent pas à ses réglages")
    expect(sum(int(np.prod(shape)) for shape in wanted.values()) <= MAX_VALUES, f"{what} : couche {name} trop grande")
    layer = cls(**kwargs)
    layer.load_state_dict(given)
    return layer.eval()


def setting(value: Any, what: str) -> Any:
    if isinstance(value, SETTING_TYPES) and not (isinstance(value, str) and len(value) > 20):
        return value
    if isinstance(value, (list, tuple)) and len(value) <= 4 and all(isinstance(v, (int, float)) for v in value):
        return tuple(value)
    raise Feedback(f"{what} : réglage illisible")


def tensor(value: Any, what: str) -> torch.Tensor:
    expect(isinstance(value, np.ndarray) and value.dtype.kind in "iuf", f"{what} : un tableau de nombres est attendu")
    expect(value.size <= MAX_VALUES, f"{what} : tableau trop grand")
    array = np.array(value, dtype=np.float32 if value.dtype.kind == "f" else np.int64)
    expect(np.all(np.isfinite(array)), f"{what} : le tableau contient des NaN ou des infinis")
    return torch.from_numpy(array)
