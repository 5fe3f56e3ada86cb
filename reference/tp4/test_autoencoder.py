"""Hidden tests of tp4/autoencoder.py: the architecture (parameter counts, outputs with given weights
against a forward written here), the per-sample error, the threshold and the detection against
their definitions, then the student's training loop on scikit-learn's 8×8 digits (split and
pixels permuted in secret): the trained model is rebuilt here and scored on held-out digits that
never reach the worker — reconstruction, denoising, anomaly detection (AUC). Bounds keep a margin over the solution's worst of 5 seeds (see tests/test_tp4.py)."""

import numpy as np

from grader.grading.datasets import load_digits  # scikit-learn's 8×8 digits, without importing it
from grader.grading.heldout import permute_pixels, split
from grader.grading.replayer import numbers, same_architecture
from grader.grading.testkit import as_array, as_float, expect, gap, relies_on

MODULE = "tp4.autoencoder"
FACTORY = MODULE + ".AutoEncoder"
SMALL = {"input_dim": 64, "latent_dim": 8, "hidden": [32]}


def digits(heldout):
    """The 8×8 digits in [0, 1], split 1 200 / 597 by a secret permutation, their pixels in a secret
    order (grader/grading/heldout.py): a dense auto-encoder learns them as well, a copy of the file is no help."""
    X, y = load_digits()
    rng = heldout.rng("tp4 digits")
    train, test = split(rng, len(X), 597 / len(X))
    X_train, X_test = permute_pixels(rng, (X[train] / 16).astype(np.float32), (X[test] / 16).astype(np.float32))
    return X_train, y[train], X_test, y[test]


def layer_sizes(input_dim, latent_dim, hidden):
    sizes = [input_dim, *hidden, latent_dim]
    return list(zip(sizes[:-1], sizes[1:])) + list(zip(sizes[::-1][:-1], sizes[::-1][1:]))


def shapes(input_dim, latent_dim, hidden):
    return [shape for n_in, n_out in layer_sizes(input_dim, latent_dim, hidden) for shape in ([n_out, n_in], [n_out])]


def reference_forward(weights, x):
    """Encoder (ReLU, linear latent) then decoder (ReLU, sigmoid output), as the stub states."""
    a = np.asarray(x, dtype=float)
    layers = len(weights) // 2
    for layer in range(layers):
        a = a @ np.asarray(weights[2 * layer], dtype=float).T + weights[2 * layer + 1]
        if layer not in (layers // 2 - 1, layers - 1):
            a = np.maximum(a, 0)
    return 1 / (1 + np.exp(-a))


def auc(normal, anomalous):
    """Area under the ROC curve of "error > threshold": P(anomalous error > normal error), ties ½."""
    above = anomalous[:, None] > normal[None, :]
    ties = anomalous[:, None] == normal[None, :]
    return float(np.mean(above + 0.5 * ties))


def random_weights(rng, config):
    return [rng.normal(scale=0.4, size=shape).astype(np.float32) for shape in shapes(**config)]


def model_spec(config, weights=None):
    spec = {"factory": FACTORY, "kwargs": config}
    if weights is not None:
        spec["weights"] = weights
    return spec


def test_autoencoder_architecture(student):
    for config in (SMALL, {"input_dim": 784, "latent_dim": 32, "hidden": [256]},
                   {"input_dim": 64, "latent_dim": 4, "hidden": [48, 16]}):
        got = student.probe("torch_forward", module=MODULE, factory="AutoEncoder", kwargs=config)
        want = shapes(**config)
        name = f"AutoEncoder({config['input_dim']}, {config['latent_dim']}, {tuple(config['hidden'])})"
        expect(got["count"] == sum(int(np.prod(s)) for s in want),
               f"{name} doit avoir {sum(int(np.prod(s)) for s in want)} paramètres (encodeur et décodeur symétriques)")
        expect([list(s) for s in got["shapes"]] == want, f"{name} : les couches doivent être, dans l'ordre de "
               "model.parameters(), celles de l'encodeur puis celles du décodeur (en miroir)")


def test_autoencoder_outputs_with_given_weights(student):
    rng = np.random.default_rng(4)
    for config in (SMALL, {"input_dim": 64, "latent_dim": 4, "hidden": [48, 16]}):
        weights = random_weights(rng, config)
        x = rng.uniform(size=(9, 64)).astype(np.float32)
        got = student.probe("torch_forward", module=MODULE, factory="AutoEncoder", kwargs=config, weights=weights,
                            inputs=[x])
        out = as_array(got["outputs"][0], "sortie de l'auto-encodeur", shape=(9, 64))
        expect(np.all((out >= 0) & (out <= 1)), "la reconstruction doit être dans [0, 1] (sortie sigmoïde)")
        expect(np.allclose(out, reference_forward(weights, x), atol=1e-5),
               "avec des poids donnés, la reconstruction ne correspond pas à l'architecture attendue (ReLU sur les "
               "couches cachées, couche latente linéaire, sortie sigmoïde, encodeur puis décodeur)")


def test_reconstruction_error_per_sample(student):
    with relies_on(student, "reconstruction_error", ("AutoEncoder", test_autoencoder_outputs_with_given_weights)):
        check_errors(student)


def check_errors(student):
    rng = np.random.default_rng(5)
    weights, X = random_weights(rng, SMALL), rng.uniform(size=(20, 64)).astype(np.float32)
    got = student.probe("torch_call", module=MODULE, function="reconstruction_error", args=("@ae", X),
                        models={"ae": {**model_spec(SMALL, weights), "spy": True}})
    errors = as_array(got["value"], "reconstruction_error(model, X)")
    expect(errors.shape == (20,), f"reconstruction_error doit renvoyer une erreur par échantillon : forme (N,), "
           f"{errors.shape} obtenue pour N = 20")
    modes = got.get("modes", {}).get("ae") or []
    expect(modes and not any(modes), "reconstruction_error doit mettre le modèle en mode évaluation (model.eval()) avant de "
           "l'appliquer")
    want = ((reference_forward(weights, X) - X) ** 2).mean(axis=1)
    expect(np.allclose(errors, want, rtol=1e-4, atol=1e-7),
           "l'erreur d'un échantillon doit être la moyenne des (x̂ − x)² sur ses valeurs")


def test_fit_threshold_is_a_quantile(student):
    rng = np.random.default_rng(6)
    errors = rng.exponential(scale=0.02, size=300)  # skewed, like reconstruction errors
    for quantile in (0.99, 0.9, 0.5):
        got = as_float(student.call(MODULE + ".fit_threshold", errors, quantile), "fit_threshold(errors, quantile)")
        low, high = np.quantile(errors, quantile, method="lower"), np.quantile(errors, quantile, method="higher")
        expect(low - 1e-9 <= got <= high + 1e-9, f"le seuil doit être le quantile d'ordre {quantile} des erreurs "
               f"(une proportion {quantile} des erreurs normales lui sont inférieures), pas leur moyenne")
    got = as_float(student.call(MODULE + ".fit_threshold", errors), "fit_threshold(errors)")
    expect(np.quantile(errors, 0.99, method="lower") - 1e-9 <= got <= np.quantile(errors, 0.99, method="higher") + 1e-9,
           "par défaut, le seuil doit être le quantile d'ordre 0,99")


def test_detect_anomalies_uses_the_threshold(student):
    with relies_on(student, "detect_anomalies", ("reconstruction_error", test_reconstruction_error_per_sample)):
        check_detection(student)


def check_detection(student):
    rng = np.random.default_rng(7)
    weights, X = random_weights(rng, SMALL), rng.uniform(size=(41, 64)).astype(np.float32)
    errors = ((reference_forward(weights, X) - X) ** 2).mean(axis=1)
    threshold = float(np.sort(errors)[20] + np.sort(errors)[21]) / 2  # between two errors
    got = student.probe("torch_call", module=MODULE, function="detect_anomalies", args=("@ae", X, threshold),
                        models={"ae": model_spec(SMALL, weights)})
    flags = np.asarray(got["value"])
    expect(flags.shape == (41,), f"detect_anomalies doit renvoyer un booléen par échantillon : forme (N,), {flags.shape} "
           "obtenue pour N = 41")
    expect(np.array_equal(flags.astype(bool), errors > threshold),
           "un échantillon est anormal exactement quand son erreur de reconstruction dépasse le seuil")
    # A threshold equal to one sample's own error (as the student's reconstruction_error computes it): not anomalous.
    own = np.asarray(student.probe("torch_call", module=MODULE, function="reconstruction_error", args=("@ae", X),
                                   models={"ae": model_spec(SMALL, weights)})["value"], dtype=np.float64)
    tie = float(np.sort(own)[20])
    flags = np.asarray(student.probe("torch_call", module=MODULE, function="detect_anomalies", args=("@ae", X, tie),
                                     models={"ae": model_spec(SMALL, weights)})["value"]).astype(bool)
    expect(flags.shape == (41,) and not flags[int(np.argsort(own)[20])] and flags.sum() == 20,
           "un échantillon dont l'erreur est exactement égale au seuil n'est pas anormal : il faut erreur > seuil, au "
           "sens strict")


def test_train_autoencoder_history_is_the_mean_loss(student):
    # The student's loop, observed: the model (given weights, lr = 0: it never changes) notes every batch it
    # receives. 21 rows in batches of 7, σ = 0.5 noise: each row is recognised by its level.
    with relies_on(student, "train_autoencoder", ("AutoEncoder", test_autoencoder_outputs_with_given_weights)):
        check_loop(student)


def observed_training(student, weights, X, lr, seed, noise_std, global_seed=9):
    got = student.probe("torch_call", module=MODULE, function="train_autoencoder", args=("@ae", X, 2, lr, 7, seed),
                        kwargs={"noise_std": noise_std}, models={"ae": {**model_spec(SMALL, weights), "spy": True}},
                        report=["ae"], seed=global_seed)
    inputs = [np.asarray(call[0]) for call in got.get("seen", {}).get("ae", []) if call]
    return got, inputs


def check_loop(student):
    rng = np.random.default_rng(6)
    weights = random_weights(rng, SMALL)
    # Row i sits around 2·i: recognised from its noisy copy by the mean of its 64 values (noise ±0.06).
    X = (2.0 * np.arange(21)[:, None] + rng.uniform(-0.01, 0.01, size=(21, 64))).astype(np.float32)
    got, inputs = observed_training(student, weights, X, 0.0, 0, 0.5)
    history = as_array(got["value"], "historique renvoyé par train_autoencoder")
    expect(history.shape == (2,), f"train_autoencoder(…, epochs=2) doit renvoyer un coût moyen par époque (2 valeurs), "
           f"forme {history.shape} obtenue")
    sizes = [len(batch) for batch in inputs]
    expect(sizes == [7] * 6, f"train_autoencoder : 21 lignes, lots de 7, 2 époques : 6 lots de 7 attendus, tailles obtenues {sizes}")
    rows = [np.clip(np.round(batch.mean(axis=1) / 2), 0, 20).astype(int) for batch in inputs]
    order = np.concatenate(rows)
    expect(sorted(order[:21]) == list(range(21)) and sorted(order[21:]) == list(range(21)),
           "train_autoencoder : chaque époque doit passer chaque ligne de X une fois exactement")
    expect(not np.array_equal(order[:21], np.arange(21)) and not np.array_equal(order[:21], order[21:]),
           "train_autoencoder : les lignes doivent être mélangées, dans un autre ordre à chaque époque")
    noise = np.concatenate([batch - X[r] for batch, r in zip(inputs, rows)])
    expect(abs(noise.std() - 0.5) < 0.05 and abs(noise.mean()) < 0.05,
           f"train_autoencoder : avec noise_std = 0,5, l'entrée du réseau doit être x + un bruit N(0, 0,5²) : bruit de moyenne "
           f"{noise.mean():.3f} et d'écart-type {noise.std():.3f} obtenu")
    # lr = 0: each batch's loss is the MSE between the reconstruction of its noisy input and its CLEAN rows.
    losses = [float(np.mean((reference_forward(weights, batch) - X[r]) ** 2)) for batch, r in zip(inputs, rows)]
    want = np.array([np.mean(losses[:3]), np.mean(losses[3:])])
    noisy_target = np.array([np.mean([float(np.mean((reference_forward(weights, b) - b) ** 2)) for b in inputs[:3]]),
                             np.mean([float(np.mean((reference_forward(weights, b) - b) ** 2)) for b in inputs[3:]])])
    expect(not np.allclose(history, noisy_target, rtol=1e-4), "train_autoencoder : avec du bruit, la cible doit rester x propre : le coût "
           "compare la reconstruction de l'entrée bruitée à x, pas à l'entrée bruitée")
    expect(np.allclose(history, want, rtol=1e-5), "train_autoencoder : chaque valeur de l'historique doit être le coût moyen (MSE, cible "
           "propre) "
           f"de l'époque : la moyenne des coûts des lots, pas leur somme ({gap(history, want)})")
    # The shuffling and the noise depend on `seed` only: the same seed trains the same, another seed otherwise.
    # The same seed from two states of torch's global generator: nothing may be drawn from the global generator.
    trained = [observed_training(student, weights, X, 0.01, seed, 0.3, global_seed)[0]["parameters"]["ae"]
               for seed, global_seed in ((0, 9), (0, 10), (1, 9))]
    expect(all(np.array_equal(a, b) for a, b in zip(trained[0], trained[1])),
           "train_autoencoder avec la même graine doit redonner le même entraînement, quel que soit l'état du générateur "
           "global de torch (ordre des lots et bruit tirés à partir de seed seulement, par exemple avec un "
           "torch.Generator().manual_seed(seed))")
    expect(not all(np.array_equal(a, b) for a, b in zip(trained[0], trained[2])),
           "train_autoencoder avec une autre graine doit donner un autre entraînement : l'ordre des lots et le bruit "
           "doivent dépendre de seed")


def train(student, heldout, config, X, epochs, lr, batch_size, noise_std=0.0, seed=0):
    """Train an AutoEncoder with the student's loop; return it rebuilt in the replay process
    (grader/grading/replayer.py), to be run there on held-out digits the worker never sees. Training may
    change its weights only, and the model holds the architecture's numbers, nothing more."""
    check = heldout.rng("tp4 check inputs").uniform(size=(8, config["input_dim"])).astype(np.float32)
    got = student.probe("torch_call", timeout=60, module=MODULE, function="train_autoencoder",
                        args=("@ae", X, epochs, lr, batch_size, seed), kwargs={"noise_std": noise_std},
                        models={"ae": model_spec(config)}, describe={"ae": check}, describe_before=["ae"], seed=seed,
                        report=["ae"])
    history = as_array(got["value"], "historique renvoyé par train_autoencoder")
    expect(history.shape == (epochs,), f"train_autoencoder doit renvoyer un coût moyen par époque ({epochs} valeurs)")
    expect(history[-1] < history[0], "le coût de reconstruction doit baisser pendant l'entraînement")
    same_architecture(got.get("before", {}).get("ae"), got["models"]["ae"], "auto-encodeur entraîné par train_autoencoder")
    want = sum(int(np.prod(s)) for s in shapes(**config))
    expect(numbers(got["models"]["ae"]) == want, f"l'auto-encodeur entraîné doit garder son architecture ({want} poids "
           "et biais) sans autre tenseur")
    trained = got.get("parameters", {}).get("ae") or []
    if [list(np.shape(w)) for w in trained] == shapes(**config) and course_forward(student, config):
        return CourseModel(trained)  # the course's forward with the trained weights: no description stands in
    model = student.replay(got["models"]["ae"], check, "auto-encodeur entraîné")
    expect(model.bottleneck() <= config["latent_dim"], (
        f"l'auto-encodeur entraîné doit faire passer chaque entrée par son code de dimension {config['latent_dim']} : "
        "sa sortie ne peut pas contourner l'encodeur"))
    return model


class CourseModel:
    """Trained weights run through the auto-encoder of the stub (reference_forward, written here)."""

    def __init__(self, weights):
        self.weights = [np.asarray(w, dtype=float) for w in weights]

    def predict(self, X):
        return reference_forward(self.weights, X)


def course_forward(student, config):
    """Whether the student's forward is the stub's auto-encoder (on weights drawn here): then the
    held-out digits go through that forward here, with the trained weights; if not, the student's
    own model is replayed (and test_autoencoder_outputs_with_given_weights charges the forward)."""
    rng = np.random.default_rng(41)
    weights, x = random_weights(rng, config), rng.uniform(size=(5, config["input_dim"])).astype(np.float32)
    got = student.probe("torch_forward", module=MODULE, factory="AutoEncoder", kwargs=config, weights=weights, inputs=[x])
    out = np.asarray(got["outputs"][0], dtype=float)
    return out.shape == (5, config["input_dim"]) and np.allclose(out, reference_forward(weights, x), atol=1e-5)


ARCHITECTURE = ("AutoEncoder", test_autoencoder_outputs_with_given_weights)


def test_autoencoder_reconstructs_held_out_digits(student, heldout):
    X_train, _, X_test, _ = digits(heldout)
    with relies_on(student, "train_autoencoder", ARCHITECTURE, forgive=False):
        out = train(student, heldout, SMALL, X_train, 20, 1e-2, 32).predict(X_test)
        expect(out.shape == X_test.shape, f"la reconstruction doit avoir la forme de l'entrée {X_test.shape}")
        heldout.check("digits, AutoEncoder(64, 8, (32,)): reconstruction MSE", float(np.mean((out - X_test) ** 2)),
                      at_most=0.03, zero_at=0.045, message=(
                          "AutoEncoder(64, 8, (32,)) entraîné par votre train_autoencoder (Adam, pas 0,01, lots de 32, "
                          "20 époques), "
                          "erreur quadratique moyenne de reconstruction de chiffres qu'il n'a jamais vus"))


def test_denoising_autoencoder_beats_the_identity(student, heldout):
    X_train, _, X_test, _ = digits(heldout)
    noisy = X_test + heldout.rng("tp4 denoising noise").normal(scale=0.5, size=X_test.shape).astype(np.float32)
    with relies_on(student, "train_autoencoder", ARCHITECTURE, forgive=False):
        out = train(student, heldout, SMALL, X_train, 20, 1e-2, 32, noise_std=0.5).predict(noisy)
        error = float(np.mean((out - X_test) ** 2))
        expect(error < float(np.mean((noisy - X_test) ** 2)), "l'auto-encodeur débruiteur entraîné par train_autoencoder "
               "doit rapprocher les chiffres bruités des chiffres propres : il doit faire mieux que l'identité")
        heldout.check("digits, denoising AutoEncoder(64, 8, (32,)): MSE to the clean digits", error, at_most=0.055,
                      zero_at=0.065, message=(
                          "entraîné par train_autoencoder avec noise_std = 0,5 (entrée bruitée, cible propre), "
                          "l'auto-encodeur débruiteur, "
                          "erreur quadratique moyenne entre chiffres propres et chiffres bruités jamais vus débruités "
                          "(un auto-encodeur entraîné sans bruit n'y parvient pas)"))


def test_anomaly_detection_separates_two_digits(student, heldout):
    X_train, y_train, X_test, y_test = digits(heldout)
    normal, held_out, anomalies = X_train[y_train == 0], X_test[y_test == 0], X_test[y_test == 6]
    config = {"input_dim": 64, "latent_dim": 4, "hidden": [32]}
    with relies_on(student, "train_autoencoder", ARCHITECTURE, forgive=False):
        model = train(student, heldout, config, normal, 30, 1e-2, 16)
        train_errors, normal_errors, anomaly_errors = (((model.predict(X) - X) ** 2).mean(axis=1)
                                                       for X in (normal, held_out, anomalies))
        heldout.check("digits, anomaly detection 0 vs 6: AUC", auc(normal_errors, anomaly_errors), at_least=0.95,
                      zero_at=0.85, message=(
                          "entraîné par train_autoencoder sur les seuls « 0 », l'auto-encodeur doit reconstruire nettement "
                          "moins bien les « 6 » "
                          "que des « 0 » jamais vus : aire sous la courbe ROC des erreurs"))
    with relies_on(student, "la détection (fit_threshold)", ("fit_threshold", test_fit_threshold_is_a_quantile),
                   forgive=False):
        check_threshold(student, train_errors, normal_errors, anomaly_errors)


def check_threshold(student, train_errors, normal_errors, anomaly_errors):
    threshold = as_float(student.call(MODULE + ".fit_threshold", train_errors, 0.99), "fit_threshold(errors, 0.99)")
    # detect_anomalies itself is checked above; here the threshold learnt by the student's
    # fit_threshold is applied on this side to the held-out digits' errors.
    flagged_normal, flagged_anomalies = np.mean(normal_errors > threshold), np.mean(anomaly_errors > threshold)
    expect(flagged_normal <= 0.25 and flagged_anomalies >= 0.9,
           "avec le seuil appris sur les erreurs des « 0 » d'entraînement (quantile 0,99), l'erreur de "
           "reconstruction doit laisser passer la plupart des « 0 » jamais vus et signaler presque tous les « 6 » : "
           f"{100 * flagged_normal:.0f} % des « 0 » signalés (au plus 25 % attendu), {100 * flagged_anomalies:.0f} % "
           "des « 6 » (au moins 90 % attendu) ; deux causes possibles : le seuil de fit_threshold, ou l'auto-encodeur "
           "entraîné par train_autoencoder, qui sépare mal les deux chiffres")
