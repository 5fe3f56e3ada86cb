"""The replay process: a student's trained PyTorch model rebuilt from plain data and run, contained.

Held-out inputs must never reach student code (`grader.grading.heldout`). So the worker does not run the
trained model on them: it traces it with torch.fx and sends its graph, the type and settings of
each torch.nn layer and every parameter and buffer (the probe `describe_model`). This file is the
"probes" module of a process of its own (`grader.grading.replayer` starts it with the sandbox's layers and
limits): it rebuilds the model from torch's own classes and functions, chosen from fixed lists,
and runs it with a small interpreter. No student code, no code generation, nothing unpickled; no
secret either (no labels, no reference tree: only the inputs it is handed). Whatever a description
does to this process — a crash, a hang, a blow-up — costs the test that sent it, nothing else.

The interpreter runs a graph and nothing more:
- every node is checked before anything runs: the operation, its positional and keyword
  arguments (no `out=`, no in-place variant: nothing a graph computes can overwrite another
  value), every name and number; parameters' shapes against their layer's settings;
- every tensor is floating point (constants and integer results are converted), so that no
  integer division can trap;
- one pass on torch's "meta" device (shapes only) costs every operation (products, convolutions,
  pooling windows, elementwise work, reductions) and bounds every result and the numbers alive
  at once, before anything real is computed; intermediates are freed after their last use;
- the model only ever runs at one batch size, the check's, and its outputs on the check inputs
  must be the same one sample at a time: a graph cannot behave one way on the inputs it is
  checked on and another on the held-out ones by looking at the batch.

Imports numpy, torch and the standard library only: the template of the replay process imports it.
"""
from __future__ import annotations

import copy
import inspect
import math
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.fx.node import _get_qualified_name

MAX_NODES = 400  # operations in a graph
MAX_VALUES = 8_000_000  # numbers in all parameters and constants, counted before any conversion
MAX_ACTIVATION = 1 << 22  # numbers in one intermediate result, per sample
MAX_FLOPS = 2e8  # operations per sample, every kind counted (the course's digit CNN needs ~2e6)
BATCH_NUMBERS = 1 << 24  # numbers of one intermediate result in one batch
LIVE_NUMBERS = 1 << 25  # numbers of all the intermediate results alive at once, in one batch
MAX_OUTPUT = 1 << 24  # numbers `predict` sends back, all samples together
MAX_INT = 1 << 40  # a Python integer the graph reads or computes (a shape, an index): its arithmetic runs here
MAX_ROWS = 100_000  # samples in one `predict`
ALONE_ROWS = 16  # check inputs also run one at a time: the outputs may not depend on the batch's size
TOO_BIG = "votre modèle est trop gros pour être évalué (calculs ou résultats intermédiaires par exemple)"


class Refused(Exception):
    """A description the interpreter will not run, with the French reason for the student."""


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Refused(message)


@dataclass(frozen=True)
class Op:
    function: Callable  # what runs
    positional: int  # the most positional arguments accepted
    keywords: frozenset[str] = frozenset()  # the keyword arguments accepted
    inplace: int | None = None  # position of an `inplace` flag, dropped: the interpreter never mutates
    kind: str = "elementwise"  # how it is costed: elementwise, matmul, linear, conv, pool, adaptive


def _ops() -> dict[str, Op]:
    kw = lambda *names: frozenset(names)  # noqa: E731
    pool = kw("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    table = {
        torch.relu: Op(torch.relu, 1), torch.sigmoid: Op(torch.sigmoid, 1), torch.tanh: Op(torch.tanh, 1),
        torch.exp: Op(torch.exp, 1), torch.flatten: Op(torch.flatten, 3, kw("start_dim", "end_dim")),
        torch.reshape: Op(torch.reshape, 2, kw("shape")), torch.cat: Op(torch.cat, 2, kw("dim")),
        torch.stack: Op(torch.stack, 2, kw("dim")),
        torch.conv2d: Op(torch.conv2d, 7, kw("bias", "stride", "padding", "dilation", "groups"), kind="conv"),
        torch.max_pool2d: Op(torch.max_pool2d, 6, pool, kind="pool"),
        torch.softmax: Op(torch.softmax, 2, kw("dim")), torch.log_softmax: Op(torch.log_softmax, 2, kw("dim")),
        torch.add: Op(torch.add, 2, kw("alpha")), torch.sub: Op(torch.sub, 2, kw("alpha")),
        torch.mul: Op(torch.mul, 2), torch.div: Op(torch.div, 2), torch.matmul: Op(torch.matmul, 2, kind="matmul"),
        torch.squeeze: Op(torch.squeeze, 2, kw("dim")), torch.unsqueeze: Op(torch.unsqueeze, 2, kw("dim")),
        torch.transpose: Op(torch.transpose, 3, kw("dim0", "dim1")), torch.permute: Op(torch.permute, 2, kw("dims")),
        torch.clamp: Op(torch.clamp, 3, kw("min", "max")), torch.mean: Op(torch.mean, 3, kw("dim", "keepdim")),
        torch.sum: Op(torch.sum, 3, kw("dim", "keepdim")),
        F.relu: Op(F.relu, 1, inplace=1), F.relu6: Op(F.relu6, 1, inplace=1),
        F.leaky_relu: Op(F.leaky_relu, 2, kw("negative_slope"), inplace=2), F.elu: Op(F.elu, 2, kw("alpha"), inplace=2),
        F.gelu: Op(F.gelu, 1, kw("approximate")), F.silu: Op(F.silu, 1, inplace=1), F.sigmoid: Op(F.sigmoid, 1),
        F.tanh: Op(F.tanh, 1), F.softmax: Op(F.softmax, 2, kw("dim", "_stacklevel", "dtype")),
        F.log_softmax: Op(F.log_softmax, 2, kw("dim", "_stacklevel", "dtype")),  # fx records torch's defaults
        F.max_pool2d: Op(F.max_pool2d, 7, pool | kw("return_indices"), kind="pool"),
        F.avg_pool2d: Op(F.avg_pool2d, 6, kw("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
                         kind="pool"),
        F.adaptive_avg_pool2d: Op(F.adaptive_avg_pool2d, 2, kw("output_size"), kind="adaptive"),
        F.adaptive_max_pool2d: Op(F.adaptive_max_pool2d, 3, kw("output_size", "return_indices"), kind="adaptive"),
        F.conv2d: Op(F.conv2d, 7, kw("bias", "stride", "padding", "dilation", "groups"), kind="conv"),
        F.linear: Op(F.linear, 3, kw("bias"), kind="linear"), F.pad: Op(F.pad, 4, kw("pad", "mode", "value")),
        operator.add: Op(operator.add, 2), operator.sub: Op(operator.sub, 2), operator.mul: Op(operator.mul, 2),
        operator.truediv: Op(operator.truediv, 2), operator.floordiv: Op(operator.floordiv, 2),
        operator.neg: Op(operator.neg, 1), operator.matmul: Op(operator.matmul, 2, kind="matmul"),
        operator.getitem: Op(operator.getitem, 2),
    }
    ops = {_get_qualified_name(function): op for function, op in table.items()}
    for dropout in (F.dropout, F.dropout1d, F.dropout2d, F.alpha_dropout, torch.dropout):  # evaluation: identity
        ops[_get_qualified_name(dropout)] = Op(lambda x, *args, **kwargs: x, 4, kw("p", "training", "inplace"))
    return ops


OPS = _ops()  # keyed by the qualified name torch.fx gives each function (F.avg_pool2d is torch._C._nn.avg_pool2d…)
GETATTR = frozenset(("builtins.getattr", _get_qualified_name(getattr)))  # "getattr" in torch 2.13, was "builtins.…"
ARITHMETIC = frozenset(_get_qualified_name(f) for f in (operator.add, operator.sub, operator.mul, operator.truediv,
                                                         operator.floordiv, operator.neg, operator.matmul))
METHOD_KEYWORDS = frozenset(("dim", "keepdim", "start_dim", "end_dim", "min", "max", "p", "exponent", "unbiased",
                             "correction", "dim0", "dim1"))
METHODS = frozenset((
    "view", "reshape", "flatten", "size", "relu", "sigmoid", "tanh", "squeeze", "unsqueeze", "permute", "transpose",
    "contiguous", "float", "mean", "sum", "softmax", "log_softmax", "clamp", "exp", "view_as", "t", "dim", "norm", "abs",
    "sqrt", "pow", "std", "var", "max", "min", "amax", "amin"))
LAYERS = {name: getattr(nn, name) for name in (
    "Linear", "Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "Dropout1d", "Dropout2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Flatten",
    "Unflatten", "Identity", "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
    "Softmax", "LogSoftmax")}
LAYER_KINDS = {"Linear": "linear", "Conv1d": "conv", "Conv2d": "conv", "MaxPool1d": "pool", "MaxPool2d": "pool",
               "AvgPool1d": "pool", "AvgPool2d": "pool", "AdaptiveAvgPool2d": "adaptive", "AdaptiveMaxPool2d": "adaptive"}
NAME = re.compile(r"^\w[\w.]{0,79}$")  # names of layers, functions, methods: shown to the student
NODE_OPS = frozenset(("placeholder", "get_attr", "call_module", "call_function", "call_method", "output"))
SETTING_TYPES = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class Node:
    op: str  # one of NODE_OPS
    target: str  # a layer's path, a function's qualified name, a method's name, a constant's name
    args: tuple  # arguments, with Ref for other nodes' results
    kwargs: dict  # keyword arguments


@dataclass(frozen=True)
class Ref:
    index: int  # the position of an earlier node in the graph


@dataclass
class Meter:
    """What one pass measured: numbers of every tensor a node produced, operations, peak alive."""
    widths: dict[int, int]  # node index -> numbers of its tensors
    flops: float = 0.0
    peak: int = 0


class Graph:
    """A student's model rebuilt from torch's classes, run in evaluation mode by `run`."""

    def __init__(self, nodes: list[Node], layers: dict[str, nn.Module], constants: dict[str, torch.Tensor]) -> None:
        self.nodes, self.layers, self.constants = nodes, layers, constants
        last: dict[int, int] = {}
        for index, node in enumerate(nodes):
            for ref in refs((node.args, node.kwargs)):
                last[ref] = index
        self.freed_after: dict[int, list[int]] = {}  # node index -> results no later node reads
        for ref, index in last.items():
            self.freed_after.setdefault(index, []).append(ref)

    def run(self, x: torch.Tensor, meter: Meter | None = None) -> Any:
        """Interpret the graph on x. With `meter` (a pass on the meta device), also cost every node."""
        constants = {name: value.clone() for name, value in self.constants.items()}  # no state between calls
        values: list[Any] = []
        alive = 0
        for index, node in enumerate(self.nodes):
            args, kwargs = resolve(node.args, values), resolve(node.kwargs, values)
            if node.op == "output":
                return args[0] if args else None
            if node.op == "placeholder":
                value = x.clone() if index == 0 else (args[0] if args else None)
            elif node.op == "get_attr":
                value = constants[node.target]
            elif node.op == "call_module":
                layer = self.layers[node.target]
                expect(len(args) == 1 and not kwargs, f"forward appelle la couche {node.target} avec d'autres "
                       "arguments qu'un seul tenseur")
                value = layer(args[0])
            elif node.op == "call_function":
                value = self.call_function(node.target, args, kwargs)
            else:
                value = self.call_method(node.target, args, kwargs)
            value = floats(value)
            expect(bounded(value), "forward calcule un entier trop grand ou une liste trop longue")
            values.append(value)
            if meter is not None:
                numbers = tensor_numbers(value)
                meter.widths[index] = numbers
                meter.flops += cost(node, self.layers, args, kwargs, value)
                copy_made = padded_copy(self.layers[node.target], args[0] if args else None) \
                    if node.op == "call_module" else 0  # a transient copy: counted alive while the node runs
                alive += numbers
                meter.peak = max(meter.peak, alive + copy_made)
            for done in self.freed_after.get(index, ()):  # intermediates freed after their last use
                if meter is not None:
                    alive -= meter.widths.get(done, 0)
                values[done] = None
        raise Refused("le graphe du modèle n'a pas de sortie")

    @staticmethod
    def call_function(target: str, args: tuple, kwargs: dict) -> Any:
        if target in GETATTR:
            expect(len(args) == 2 and args[1] == "shape" and isinstance(args[0], torch.Tensor) and not kwargs,
                   "forward ne peut lire que l'attribut .shape d'un tenseur")
            return tuple(args[0].shape)
        op = OPS[target]
        short = target.split(".")[-1]
        if op.inplace is not None and len(args) > op.inplace:  # F.relu(x, True): computed out of place
            args = args[:op.inplace] + args[op.inplace + 1:]
        kwargs = {key: value for key, value in kwargs.items() if key != "inplace"}
        expect(kwargs.get("dtype") is None and isinstance(kwargs.get("_stacklevel", 0), int),
               f"forward appelle {short} avec un dtype que le correcteur ne rejoue pas")
        expect(len(args) <= op.positional and set(kwargs) <= op.keywords,
               f"forward appelle {short} avec des arguments que le correcteur ne rejoue pas "
               f"({', '.join(sorted(set(kwargs) - op.keywords)) or 'trop d arguments'})")
        if target in ARITHMETIC:  # on numbers and tensors only: (1,) * n would build a tuple here
            expect(all(isinstance(a, (torch.Tensor, int, float)) and not isinstance(a, bool) for a in args),
                   f"forward applique {short} à autre chose que des nombres ou des tenseurs")
        return op.function(*args, **kwargs)

    @staticmethod
    def call_method(target: str, args: tuple, kwargs: dict) -> Any:
        expect(args and isinstance(args[0], torch.Tensor), f"forward appelle .{target}() sur autre chose qu'un tenseur")
        expect(len(args) <= 9 and set(kwargs) <= METHOD_KEYWORDS,
               f"forward appelle .{target}() avec des arguments que le correcteur ne rejoue pas")
        if target == "norm":  # p="nuc" is a singular value decomposition: not costed, not needed
            p = kwargs.get("p", args[1] if len(args) > 1 else None)
            expect(p is None or p == "fro" or (isinstance(p, (int, float)) and not isinstance(p, bool)),
                   "forward calcule une norme que le correcteur ne rejoue pas (p doit être un nombre ou 'fro')")
        return getattr(args[0], target)(*args[1:], **kwargs)


def floats(value: Any) -> Any:
    """Every tensor in floating point: integer tensors (indices of a max…) are converted, so that
    no integer arithmetic can run, and no integer division trap."""
    if isinstance(value, torch.Tensor):
        return value if value.is_floating_point() else value.to(torch.float32)
    if isinstance(value, tuple):  # torch.return_types too: a plain tuple of the same items
        return tuple(floats(item) for item in value)
    if isinstance(value, list):
        return [floats(item) for item in value]
    return value


def bounded(value: Any, depth: int = 0) -> bool:
    """A value the graph computed that is not a tensor (a shape, an index, a tuple of them) stays
    small: Python's integers and tuples grow without limit."""
    if isinstance(value, bool) or not isinstance(value, (int, float, tuple, list)):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_INT
    if isinstance(value, float):
        return True
    return depth < 4 and len(value) <= 64 and all(bounded(item, depth + 1) for item in value)


def tensor_numbers(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (tuple, list)):
        return sum(tensor_numbers(item) for item in value)
    return 0


def cost(node: Node, layers: dict[str, nn.Module], args: tuple, kwargs: dict, value: Any) -> float:
    """Operations of one node, from the shapes of the meta pass: what it reads and writes, times
    the work per output number for products, convolutions and pooling windows."""
    inputs = sum(tensor_numbers(a) for a in (*args, *kwargs.values()))
    out = tensor_numbers(value)
    kind, setting = "elementwise", None
    if node.op == "call_module":
        layer = layers[node.target]
        kind, setting = LAYER_KINDS.get(type(layer).__name__, "elementwise"), layer
    elif node.op == "call_function" and node.target in OPS:
        kind = OPS[node.target].kind
    if kind == "elementwise":
        return float(inputs + out)
    first = args[0] if args and isinstance(args[0], torch.Tensor) else None
    if kind == "linear":
        fan_in = setting.in_features if setting is not None else (args[1].shape[-1] if len(args) > 1 else 1)
        return float(inputs + 2 * out * fan_in)
    if kind == "conv":
        weight = setting.weight if setting is not None else (args[1] if len(args) > 1 else kwargs.get("weight"))
        per_output = weight.numel() // max(1, weight.shape[0]) if isinstance(weight, torch.Tensor) else 1
        return float(inputs + 2 * out * per_output + padded_copy(setting, first))
    if kind == "matmul":
        inner = first.shape[-1] if first is not None and first.dim() else 1
        return float(inputs + 2 * out * inner)
    if kind == "pool":
        size = setting.kernel_size if setting is not None else kwargs.get("kernel_size", args[1] if len(args) > 1 else 1)
        name = type(setting).__name__ if setting is not None else node.target
        window = math.prod(size) if isinstance(size, (tuple, list)) else int(size) ** (1 if "1d" in name else 2)
        return float(inputs + out * max(1, window))
    # adaptive pooling: each output reads a window of about (input / output) + 1 per axis
    if first is not None and first.dim() >= 2 and isinstance(value, (torch.Tensor, tuple)):
        result = value if isinstance(value, torch.Tensor) else value[0]
        window = math.prod(math.ceil(i / max(1, o)) + 1 for i, o in zip(first.shape[-2:], result.shape[-2:]))
        return float(inputs + out * window)
    return float(inputs + out)


def padded_copy(layer: nn.Module | None, first: torch.Tensor | None) -> int:
    """Numbers of the padded copy of the input a convolution layer makes when its padding is not
    zeros (reflect, replicate, circular): (28 + 2·3900)² per image for a padding of 3900."""
    if layer is None or not isinstance(first, torch.Tensor) or getattr(layer, "padding_mode", "zeros") == "zeros":
        return 0
    padding = layer.padding if isinstance(layer.padding, tuple) else ()
    spatial = first.shape[2:] if first.dim() > 2 else first.shape[1:]
    if len(padding) != len(spatial):
        return 0
    return first.numel() // max(1, math.prod(spatial)) * math.prod(size + 2 * pad for size, pad in zip(spatial, padding))


class Model:
    """A rebuilt graph, checked and costed at the one batch size it will ever run at."""

    def __init__(self, graph: Graph, sample_shape: tuple[int, ...], batch: int) -> None:
        self.graph, self.sample_shape, self.batch = graph, sample_shape, batch
        meter = self.measure()
        self.widths = {index: -(-numbers // batch) for index, numbers in meter.widths.items()}  # per sample, rounded up

    def measure(self) -> Meter:
        """One pass on the meta device: every result, the work and the numbers alive, bounded
        before anything real is computed."""
        graph = self.graph
        meta = Graph(graph.nodes, {name: _meta_copy(layer) for name, layer in graph.layers.items()},
                     {name: value.to("meta") for name, value in graph.constants.items()})
        meter = Meter({})
        shape = (self.batch, *self.sample_shape)
        try:
            meta.run(torch.empty(shape, device="meta"), meter)
        except Refused:
            raise
        except Exception as exc:  # a shape mismatch, a bad argument: the student's model is at fault
            raise Refused(f"votre modèle ne s'exécute pas sur une entrée de forme {shape} "
                          f"({type(exc).__name__})") from None
        largest = max(meter.widths.values(), default=0)
        expect(largest <= BATCH_NUMBERS and largest <= MAX_ACTIVATION * self.batch and meter.peak <= LIVE_NUMBERS
               and meter.flops <= MAX_FLOPS * self.batch, TOO_BIG)
        return meter

    def bottleneck(self) -> int:
        """The fewest numbers per sample through which every path from the input to the output
        goes (an auto-encoder's code): the input's own size when the output can bypass every
        narrower result (an identity, a lookup of the training rows)."""
        nodes, widths = self.graph.nodes, self.widths
        output = len(nodes) - 1
        successors: dict[int, set[int]] = {index: set() for index in range(len(nodes))}
        for index, node in enumerate(nodes):
            if widths.get(index, 0) or index == output:  # data flows through tensors only: a shape carries none
                for ref in refs((node.args, node.kwargs)):
                    successors[ref].add(index)

        def connected_without(skipped: int) -> bool:
            seen, todo = {0}, [0]
            while todo:
                for nxt in successors[todo.pop()] - seen:
                    if nxt != skipped:
                        seen.add(nxt)
                        todo.append(nxt)
            return output in seen

        return min([width for index, width in widths.items()
                    if 0 < index < output and width > 0 and not connected_without(index)],
                   default=widths.get(0, 0))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Outputs for inputs X, always in batches of the check's size (the last one completed with
        copies of its first row, whose outputs are dropped): float32, one row per input."""
        X = np.asarray(X, dtype=np.float32)
        expect(X.ndim >= 1 and X.shape[1:] == self.sample_shape and 0 < len(X) <= MAX_ROWS,
               f"entrées de forme {X.shape} : le modèle a été vérifié sur des échantillons de forme {self.sample_shape}")
        outputs = []
        with torch.no_grad():
            for start in range(0, len(X), self.batch):
                chunk = X[start:start + self.batch]
                rows = len(chunk)
                if rows < self.batch:
                    chunk = np.concatenate([chunk, np.repeat(chunk[:1], self.batch - rows, axis=0)])
                try:
                    out = self.graph.run(torch.from_numpy(np.ascontiguousarray(chunk)))
                except Refused:
                    raise
                except Exception as exc:  # an error of torch on these values: the student's model is at fault
                    raise Refused(f"votre modèle a échoué pendant son évaluation ({type(exc).__name__})") from None
                expect(isinstance(out, torch.Tensor) and out.dim() >= 1 and len(out) == self.batch,
                       "forward doit renvoyer un tenseur avec une ligne par échantillon")
                outputs.append(out[:rows].float().numpy())
                expect(sum(o.size for o in outputs) <= MAX_OUTPUT, TOO_BIG)
        return np.concatenate(outputs)


def _meta_copy(layer: nn.Module) -> nn.Module:
    return copy.deepcopy(layer).to("meta")


def rebuild(description: Any, what: str = "modèle") -> Graph:
    """The graph of `description` (from `probes.describe_model`), every part checked."""
    expect(isinstance(description, dict), f"{what} : description du modèle illisible")
    nodes = parse_nodes(description.get("nodes"), what)
    raw_layers, raw_constants = checked_dict(description.get("layers"), what), checked_dict(description.get("constants"), what)
    arrays = [value for spec in raw_layers.values() if isinstance(spec, dict) and isinstance(spec.get("state"), dict)
              for value in spec["state"].values()] + list(raw_constants.values())
    expect(sum(np.size(a) if isinstance(a, np.ndarray) else 0 for a in arrays) <= MAX_VALUES,
           f"{what} : trop de paramètres")  # before any conversion: int8 read as float32 would be 4× larger
    layers = {name: build_layer(name, spec, what) for name, spec in raw_layers.items()}
    constants = {name: tensor(value, f"{what} : constante {name}") for name, value in raw_constants.items()}
    for node in nodes:
        known = {"call_module": layers, "get_attr": constants}.get(node.op)
        if known is not None and node.target not in known:
            raise Refused(f"{what} : forward utilise {node.target!r}, que le correcteur ne sait pas rejouer "
                          "(utilisez des couches de torch.nn et des fonctions de torch)")
        if node.op == "call_function" and node.target not in OPS and node.target not in GETATTR:
            raise Refused(f"{what} : forward utilise {node.target!r}, que le correcteur ne sait pas rejouer "
                          "(utilisez des couches de torch.nn et des fonctions de torch)")
        if node.op == "call_method" and node.target not in METHODS:
            raise Refused(f"{what} : forward appelle la méthode .{node.target}(), que le correcteur ne sait pas rejouer")
    return Graph(nodes, layers, constants)


def replay(description: Any, check: np.ndarray, what: str = "modèle") -> Model:
    """Rebuild the model of `description` and check it: on `check`, public inputs the worker also
    ran at this batch size, its outputs must be the student's model's own."""
    check = np.asarray(check, dtype=np.float32)
    expect(check.ndim >= 2 and 0 < len(check) <= 4096, f"{what} : entrées de vérification mal formées")
    graph = rebuild(description, what)
    model = Model(graph, tuple(check.shape[1:]), len(check))
    got, theirs = model.predict(check), description.get("check_outputs")
    expect(isinstance(theirs, np.ndarray) and theirs.dtype.kind in "iuf" and theirs.shape == got.shape
           and np.allclose(got, theirs.astype(float), rtol=1e-3, atol=1e-4),
           f"{what} : rejoué à partir de ses couches et de ses poids, le modèle ne redonne pas les sorties de "
           "votre forward ; forward ne doit utiliser que les couches du modèle et des opérations de torch "
           "(pas de numpy, de fichiers ni de hasard)")
    if len(check) > 1:  # each sample alone gives what it gives in the batch: nothing can switch on the batch's size
        alone = Model(graph, model.sample_shape, 1)
        rows = check[:ALONE_ROWS]
        expect(np.allclose(alone.predict(rows), got[:len(rows)], rtol=1e-4, atol=1e-5),
               f"{what} : ses sorties dépendent de la taille du lot (un échantillon seul ne donne pas la même sortie "
               "qu'au sein d'un lot) ; en évaluation, chaque échantillon doit être traité indépendamment des autres")
    return model


def checked_dict(value: Any, what: str) -> dict:
    expect(isinstance(value, dict), f"{what} : description du modèle illisible")
    return value


def parse_nodes(raw: Any, what: str) -> list[Node]:
    expect(isinstance(raw, list) and 0 < len(raw) <= MAX_NODES, f"{what} : graphe du modèle vide ou trop grand")
    nodes = []
    for item in raw:
        expect(isinstance(item, (list, tuple)) and len(item) == 4 and item[0] in NODE_OPS and isinstance(item[1], str)
               and NAME.match(item[1]) and isinstance(item[3], dict), f"{what} : graphe du modèle mal formé")
        args = parse_value(item[2], len(nodes), 0)
        nodes.append(Node(item[0], item[1], tuple(args) if isinstance(args, (list, tuple)) else (args,),
                          {str(k): parse_value(v, len(nodes), 0) for k, v in item[3].items()}))
    expect(nodes[-1].op == "output" and nodes[0].op == "placeholder", f"{what} : graphe du modèle mal formé")
    expect(all(node.op != "output" for node in nodes[:-1]), f"{what} : graphe du modèle mal formé")
    return nodes


def parse_value(value: Any, position: int, depth: int) -> Any:
    """Arguments as the interpreter takes them: plain values, tuples, slices, references to earlier nodes."""
    if depth > 6:
        raise Refused("graphe du modèle : arguments trop imbriqués")
    if isinstance(value, SETTING_TYPES):
        if isinstance(value, str) and len(value) > 40:
            raise Refused("graphe du modèle : argument texte trop long")
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise Refused("graphe du modèle : entier trop grand")
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused("graphe du modèle : nombre infini ou NaN")
        return value
    if isinstance(value, (list, tuple)):
        if len(value) > 64:
            raise Refused("graphe du modèle : trop d'arguments")
        items = [parse_value(item, position, depth + 1) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict) and len(value) == 1:
        (tag, body), = value.items()
        if tag == "node" and type(body) is int and 0 <= body < position:
            return Ref(body)
        if tag == "slice" and isinstance(body, (list, tuple)) and len(body) == 3 \
                and all(b is None or (type(b) is int and abs(b) <= MAX_INT) for b in body):
            return slice(*body)
        if tag == "ellipsis":
            return Ellipsis
    raise Refused("graphe du modèle : argument d'un type que le correcteur ne sait pas rejouer")


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
    if "inplace" in accepted:  # the interpreter never overwrites a value
        kwargs["inplace"] = False
    if "return_indices" in accepted:
        kwargs["return_indices"] = False if not isinstance(kwargs.get("return_indices"), bool) else kwargs["return_indices"]
    if "divisor_override" in accepted:
        kwargs.pop("divisor_override", None)
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
        raise Refused(f"{what} : réglages de la couche {name} ({spec['type']}) invalides ({type(exc).__name__})") from None
    expect(sum(math.prod(shape) for shape in wanted.values()) <= MAX_VALUES, f"{what} : couche {name} trop grande")
    expect(set(state) == set(wanted) and all(isinstance(state[k], np.ndarray) and tuple(state[k].shape) == wanted[k]
                                             for k in wanted),
           f"{what} : les paramètres de la couche {name} ne correspondent pas à ses réglages")
    given = {key: tensor(value, f"{what} : {name}.{key}", keep_integers=key == "num_batches_tracked")
             for key, value in state.items()}
    layer = cls(**kwargs)
    layer.load_state_dict(given)
    return layer.eval()


def setting(value: Any, what: str) -> Any:
    if isinstance(value, SETTING_TYPES) and not (isinstance(value, str) and len(value) > 20):
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused(f"{what} : réglage infini ou NaN")
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise Refused(f"{what} : réglage trop grand")
        return value
    if isinstance(value, (list, tuple)) and len(value) <= 4 and all(isinstance(v, (int, float)) and abs(v) <= MAX_INT
                                                                    for v in value):
        return tuple(value)
    raise Refused(f"{what} : réglage illisible")


def tensor(value: Any, what: str, keep_integers: bool = False) -> torch.Tensor:
    """A float32 tensor (integers too: no integer arithmetic runs here), finite."""
    expect(isinstance(value, np.ndarray) and value.dtype.kind in "iuf", f"{what} : un tableau de nombres est attendu")
    expect(value.size <= MAX_VALUES, f"{what} : tableau trop grand")
    array = np.array(value, dtype=np.int64 if keep_integers and value.dtype.kind in "iu" else np.float32)
    expect(np.all(np.isfinite(array)), f"{what} : le tableau contient des NaN ou des infinis")
    return torch.from_numpy(array)


# ---------------------------------------------------------------- the replay process's probes
# `grader.grading.replayer` calls these through the worker's protocol (worker.py serves this module as
# its probes). Models live in this process until it ends, with the grading that started it.

_MODELS: dict[int, Model] = {}


def probe_build(description: Any, check: Any, what: str = "modèle") -> dict:
    """Rebuild and check a model; its handle, its layers' and functions' names, its bottleneck."""
    try:
        torch.set_num_threads(1)
        what = str(what)[:80]
        model = replay(description, check, what)
    except Refused as refusal:
        return {"refused": str(refusal)}
    handle = len(_MODELS) + 1
    _MODELS[handle] = model
    nodes = model.graph.nodes
    return {"model": handle, "layers": {name: type(layer).__name__ for name, layer in model.graph.layers.items()},
            "functions": sorted({node.target for node in nodes if node.op == "call_function"}),
            "bottleneck": model.bottleneck()}


def probe_predict(model: Any, X: Any) -> dict:
    if model not in _MODELS:
        return {"refused": "modèle inconnu du processus d'évaluation (il a été relancé)"}
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "iuf":
        return {"refused": "entrées illisibles"}
    try:
        return {"outputs": _MODELS[model].predict(X)}
    except Refused as refusal:
        return {"refused": str(refusal)}


PROBES: dict[str, Callable[..., Any]] = {"build": probe_build, "predict": probe_predict, "ping": lambda: "pong"}


def run(name: Any, request: Any) -> Any:
    """The worker's entry point (worker.py calls `probes.run`)."""
    if name not in PROBES or not isinstance(request, dict):
        raise ValueError(f"sonde inconnue : {name!r}")
    return PROBES[name](**request)
