"""Hidden tests of tp2/optim.py: each optimiser's trajectory against torch.optim's on the same
gradients. The optimiser object lives in the worker for the whole trajectory; at step t it gets
torch's own parameters θ_t and gradient g_t and must give torch's θ_{t+1}."""
import numpy as np
import torch

from grader.grading.testkit import as_array, expect, gap, rel_error

SHAPES = [(3, 4), (4,), (4, 2), (2,)]
N_STEPS = 6


def trajectory_inputs(seed):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=shape) for shape in SHAPES]
    # gradients of changing sign and scale, with a few exact zeros
    grads = [[rng.normal(scale=10.0 ** rng.integers(-2, 2), size=shape) * (rng.uniform(size=shape) > 0.1)
              for shape in SHAPES] for _ in range(N_STEPS)]
    return params, grads


def torch_trajectory(make_optimizer, params, grads):
    """θ_0, θ_1, …, θ_T as torch.optim computes them."""
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    optimizer = make_optimizer(tensors)
    path = [[p.copy() for p in params]]
    for step_grads in grads:
        for tensor, g in zip(tensors, step_grads):
            tensor.grad = torch.from_numpy(g.copy())
        optimizer.step()
        path.append([tensor.detach().numpy().copy() for tensor in tensors])
    return path


def check_against_torch(student, name, args, kwargs, make_optimizer, seed, rule):
    params, grads = trajectory_inputs(seed)
    path = torch_trajectory(make_optimizer, params, grads)
    steps = [("step", (path[t], grads[t])) for t in range(N_STEPS)]
    got = student.steps(f"tp2.optim.{name}", *args, steps=steps, **kwargs)
    for t, new in enumerate(got, start=1):
        expect(isinstance(new, (list, tuple)) and len(new) == len(SHAPES),
               f"{name}.step doit renvoyer la liste des {len(SHAPES)} paramètres mis à jour")
        for i, (value, want) in enumerate(zip(new, path[t])):
            value = as_array(value, f"{name}.step, paramètre {i}", want.shape)
            expect(rel_error(value, want) < 1e-6, f"{name}{rule} : au pas {t}, le paramètre {i} renvoyé n'est "
                   f"pas celui que donne torch.optim ({gap(value, want)})")


def test_sgd_matches_torch(student):
    check_against_torch(student, "SGD", (0.1,), {}, lambda ps: torch.optim.SGD(ps, lr=0.1), 31,
                        " sans momentum (θ ← θ − lr · g)")
    check_against_torch(student, "SGD", (0.05,), {"momentum": 0.9},
                        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), 32,
                        " avec momentum (v ← μ v + g, v = g au premier pas ; θ ← θ − lr · v)")


def test_rmsprop_matches_torch(student):
    check_against_torch(student, "RMSprop", (0.01,), {}, lambda ps: torch.optim.RMSprop(ps, lr=0.01), 33,
                        " (s ← α s + (1 − α) g² ; θ ← θ − lr · g / (√s + ε))")
    check_against_torch(student, "RMSprop", (0.02,), {"alpha": 0.9, "eps": 1e-6},
                        lambda ps: torch.optim.RMSprop(ps, lr=0.02, alpha=0.9, eps=1e-6), 34,
                        " avec alpha = 0.9 et eps = 1e-6")


def test_adam_matches_torch(student):
    check_against_torch(student, "Adam", (0.01,), {}, lambda ps: torch.optim.Adam(ps, lr=0.01), 35,
                        " (moyennes m et v corrigées du biais : m / (1 − β₁ᵗ), v / (1 − β₂ᵗ))")
    check_against_torch(student, "Adam", (0.05,), {"betas": (0.8, 0.99), "eps": 1e-6},
                        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6), 36,
                        " avec betas = (0.8, 0.99) et eps = 1e-6")
