"""Hidden tests of tp2/layers.py: inverted dropout (identity in evaluation, ~p of the units
dropped and the rest rescaled in training, a mask of 0 and 1 as the stub says, the backward
pass on a given mask), batch normalization against torch.nn.BatchNorm1d in both modes (the
running statistics received left as they are), and its backward pass against central
differences (on the student's own cache: a wrong forward is charged by its own test only)."""
import numpy as np
import torch

from grader.grading.testkit import as_array, close, expect, gap, numerical_gradient, rel_error, relies_on

RNG = np.random.default_rng(210)
X_SMALL = RNG.uniform(0.5, 2.0, size=(6, 40)) * RNG.choice([-1.0, 1.0], size=(6, 40))  # no zero
X_LARGE = RNG.uniform(0.5, 2.0, size=(200, 500))


def dropout(student, x, p, training, seed):
    got = student.call("tp2.layers.dropout_forward", x, p, training, seed=seed)
    expect(isinstance(got, (tuple, list)) and len(got) == 2, "dropout_forward doit renvoyer le couple (out, mask)")
    return as_array(got[0], "out de dropout_forward", x.shape), as_array(got[1], "mask de dropout_forward", x.shape)


def test_dropout_eval_is_identity(student):
    out, mask = dropout(student, X_SMALL, 0.5, False, 0)
    expect(np.array_equal(out, X_SMALL), "en évaluation (training=False), le dropout doit renvoyer x tel quel")
    expect(np.all(mask == 1), "en évaluation, le masque doit être un tableau de 1")


def test_dropout_training_drops_and_rescales(student):
    for p in (0.2, 0.5):
        out, mask = dropout(student, X_LARGE, p, True, 3)
        expect(set(np.unique(mask)) <= {0.0, 1.0}, f"avec p = {p} en entraînement, mask doit être fait de 0 et de 1 "
               "(1 = gardé), comme le dit l'énoncé : la division par (1 − p) s'applique à out, pas au masque")
        dropped = out == 0
        expect(abs(dropped.mean() - p) < 0.01,
               f"avec p = {p} en entraînement, une proportion p des neurones doit être mise à 0")
        expect(rel_error(out[~dropped], X_LARGE[~dropped] / (1 - p)) < 1e-10,
               f"avec p = {p}, les neurones gardés doivent être divisés par (1 − p) (dropout inversé)")
        expect(abs(out.mean() / X_LARGE.mean() - 1) < 0.02,
               "le dropout inversé doit garder l'espérance : la moyenne de out doit rester celle de x")
    again, _ = dropout(student, X_LARGE, 0.5, True, 3)
    other, _ = dropout(student, X_LARGE, 0.5, True, 4)
    expect(np.array_equal(again, out), "la même graine doit redonner le même masque")
    expect(not np.array_equal(other, out), "deux graines différentes doivent donner deux masques différents")
    kept, _ = dropout(student, X_SMALL, 0.0, True, 0)
    expect(np.allclose(kept, X_SMALL), "avec p = 0, le dropout ne doit rien changer")


def test_dropout_backward_uses_the_mask(student):
    # A given mask of 0 and 1 (the stub's convention): dropout_forward's own mask is not needed here.
    p = 0.4
    rng = np.random.default_rng(12)
    mask = (rng.uniform(size=X_SMALL.shape) >= p).astype(float)
    dout = rng.normal(size=X_SMALL.shape)
    raw = student.call("tp2.layers.dropout_backward", dout, mask, p)
    dx = as_array(raw, "dropout_backward(dout, mask, p) pour un masque (6, 40) de 0 et de 1", X_SMALL.shape)
    want = dout * mask / (1 - p)
    expect(close(dx, want, 1e-10, raw), "dropout_backward (p = 0,4, mask de 0 et de 1) doit laisser passer le gradient "
           f"des seuls neurones gardés, divisé par (1 − p) : dx = dout · mask / (1 − p) ({gap(dx, want)})")


# ---------------------------------------------------------------- batch normalization

D = 4
GAMMA, BETA = RNG.uniform(0.5, 1.5, size=D), RNG.normal(size=D)


def torch_batchnorm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        for tensor, value in ((layer.weight, gamma), (layer.bias, beta), (layer.running_mean, running_mean),
                              (layer.running_var, running_var)):
            tensor.copy_(torch.from_numpy(np.asarray(value, dtype=float)))
        layer.train(training)
        out = layer(torch.from_numpy(x)).numpy()
    return out, layer.running_mean.numpy().copy(), layer.running_var.numpy().copy()


def batchnorm(student, x, running_mean, running_var, training, **kwargs):
    got, changed = student.call_checked("tp2.layers.batchnorm_forward", x, GAMMA, BETA, running_mean, running_var,
                                        training, **kwargs)
    touched = [name for index, name in ((3, "running_mean"), (4, "running_var"), (0, "x"), (1, "gamma")) if str(index) in changed]
    expect(not touched, f"batchnorm_forward a modifié le tableau {' et '.join(touched)} reçu : calculez de nouveaux "
           "tableaux (running_mean = (1 − momentum) · running_mean + …), sans écrire dans ceux de l'appelant (pas de *=, +=)")
    expect(isinstance(got, (tuple, list)) and len(got) == 4,
           "batchnorm_forward doit renvoyer (out, cache, running_mean, running_var)")
    return (as_array(got[0], "out de batchnorm_forward", x.shape), got[1],
            as_array(got[2], "running_mean", (x.shape[1],)), as_array(got[3], "running_var", (x.shape[1],)))


def test_batchnorm_training_matches_torch(student):
    rng = np.random.default_rng(13)
    mean, var = np.zeros(D), np.ones(D)
    for step, kwargs in enumerate(({}, {}, {"momentum": 0.3})):
        x = rng.normal(loc=2.0, scale=3.0, size=(16, D))
        out, _, new_mean, new_var = batchnorm(student, x, mean, var, True, **kwargs)
        want, mean, var = torch_batchnorm(x, GAMMA, BETA, mean, var, True, **kwargs)
        expect(rel_error(out, want) < 1e-8, f"en entraînement (pas {step + 1}), out doit être γ · (x − μ) / √(σ² + ε) + β "
               f"avec la moyenne et la variance biaisée du lot, comme torch.nn.BatchNorm1d ({gap(out, want)})")
        expect(rel_error(new_mean, mean) < 1e-8, "running_mean doit devenir (1 − momentum) · running_mean + "
               "momentum · μ du lot")
        expect(rel_error(new_var, var) < 1e-8, "running_var doit être mise à jour avec la variance NON biaisée du "
               "lot (divisée par N − 1), comme torch.nn.BatchNorm1d")


def test_batchnorm_eval_uses_running_stats(student):
    rng = np.random.default_rng(14)
    mean, var = rng.normal(size=D), rng.uniform(0.5, 2.0, size=D)
    for x in (rng.normal(loc=1.0, scale=2.0, size=(10, D)), rng.normal(size=(1, D))):
        out, _, new_mean, new_var = batchnorm(student, x, mean, var, False)
        want, _, _ = torch_batchnorm(x, GAMMA, BETA, mean, var, False)
        expect(rel_error(out, want) < 1e-8, "en évaluation, la batch norm doit normaliser avec running_mean et "
               "running_var, pas avec les statistiques du lot")
        expect(np.allclose(new_mean, mean) and np.allclose(new_var, var),
               "en évaluation, running_mean et running_var ne doivent pas changer")


def true_batchnorm_train(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta


def test_batchnorm_backward_gradient_check(student):
    rng = np.random.default_rng(15)
    x = rng.normal(loc=1.0, scale=2.0, size=(8, D))
    dout = rng.normal(size=(8, D))
    # The cache is the student's own: batchnorm_backward relies on batchnorm_forward in training mode.
    with relies_on(student, "batchnorm_backward", ("batchnorm_forward", test_batchnorm_training_matches_torch)):
        _, cache, _, _ = batchnorm(student, x, np.zeros(D), np.ones(D), True)
        check_batchnorm_backward(student, x, dout, cache)


def check_batchnorm_backward(student, x, dout, cache):
    got = student.call("tp2.layers.batchnorm_backward", dout, cache)
    expect(isinstance(got, (tuple, list)) and len(got) == 3, "batchnorm_backward doit renvoyer (dx, dgamma, dbeta)")
    dx = as_array(got[0], "dx", x.shape)
    dgamma, dbeta = as_array(got[1], "dgamma", (D,)), as_array(got[2], "dbeta", (D,))
    expect(rel_error(dx, numerical_gradient(lambda v: np.sum(true_batchnorm_train(v, GAMMA, BETA) * dout), x)) < 1e-6,
           "dx n'est pas le gradient de la batch norm (vérification par différences finies) : μ et σ² "
           "dépendent aussi de chaque xᵢ")
    expect(rel_error(dgamma, numerical_gradient(lambda g: np.sum(true_batchnorm_train(x, g, BETA) * dout), GAMMA)) < 1e-6,
           "dgamma n'est pas le gradient de la batch norm par rapport à γ : Σᵢ doutᵢ · x̂ᵢ")
    expect(rel_error(dbeta, numerical_gradient(lambda b: np.sum(true_batchnorm_train(x, GAMMA, b) * dout), BETA)) < 1e-6,
           "dbeta n'est pas le gradient de la batch norm par rapport à β : Σᵢ doutᵢ")
