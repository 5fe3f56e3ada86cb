"""Hidden tests of tp4/vae.py: the architecture, the reparameterisation and the decoder with given
weights and given ε against a forward written here, the loss against its closed form (the
reconstruction and KL parts separately, so that a missing KL or a wrong sign is named), and the
student's training loop on the 8×8 digits: the loss decreases and stays ≥ 0, held-out digits are
reconstructed, and the posterior stays close to the prior (KL computed here)."""

import numpy as np

from grader.grading.datasets import load_digits  # scikit-learn's 8×8 digits, without importing it
from grader.grading.heldout import permute_pixels, split
from grader.grading.heldout import settle
from grader.grading.testkit import as_array, as_float, expect, gap, relies_on

MODULE = "tp4.vae"
FACTORY = MODULE + ".VAE"
SMALL = {"input_dim": 64, "latent_dim": 2, "hidden": [32]}
DEEP = {"input_dim": 64, "latent_dim": 3, "hidden": [32, 16]}


def digits(heldout):
    """The 8×8 digits in [0, 1], split 1 200 / 597 and pixels permuted in secret, as test_autoencoder.py does."""
    X, y = load_digits()
    X = X / 16
    rng = heldout.rng("tp4 vae digits")
    train, test = split(rng, len(X), 597 / len(X))
    X_train, X_test = permute_pixels(rng, X[train].astype(np.float32), X[test].astype(np.float32))
    return X_train, y[train], X_test, y[test]


def shapes(input_dim, latent_dim, hidden):
    sizes = [input_dim, *hidden]
    layers = list(zip(sizes[:-1], sizes[1:])) + [(hidden[-1], latent_dim)] * 2
    back = [latent_dim, *hidden[::-1], input_dim]
    layers += list(zip(back[:-1], back[1:]))
    return [shape for n_in, n_out in layers for shape in ([n_out, n_in], [n_out])]


def t(array):
    return np.asarray(array, dtype=float)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def reference_parts(weights, hidden):
    """Split the weights as the stub orders them: encoder, μ, logvar, decoder; returns two functions."""
    pairs = [(t(weights[i]), t(weights[i + 1])) for i in range(0, len(weights), 2)]
    encoder, mu, logvar, decoder = pairs[:len(hidden)], pairs[len(hidden)], pairs[len(hidden) + 1], pairs[len(hidden) + 2:]

    def encode(x):
        h = t(x)
        for W, b in encoder:
            h = np.maximum(h @ W.T + b, 0)
        return h @ mu[0].T + mu[1], h @ logvar[0].T + logvar[1]

    def decode(z):
        a = t(z)
        for index, (W, b) in enumerate(decoder):
            a = a @ W.T + b
            a = np.maximum(a, 0) if index < len(decoder) - 1 else sigmoid(a)
        return a

    return encode, decode


def reference_loss(recon, x, mu, logvar):
    recon, x, mu, logvar = t(recon), t(x), t(mu), t(logvar)
    bce = -(x * np.log(recon) + (1 - x) * np.log(1 - recon)).sum()
    kl = -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum()
    return float(bce / len(x)), float(kl / len(x))


def random_weights(rng, config):
    return [rng.normal(scale=0.4, size=shape).astype(np.float32) for shape in shapes(**config)]


def test_vae_architecture(student):
    for config in (SMALL, DEEP, {"input_dim": 784, "latent_dim": 2, "hidden": [256]}):
        got = student.probe("torch_forward", module=MODULE, factory="VAE", kwargs=config)
        want = shapes(**config)
        name = f"VAE({config['input_dim']}, {config['latent_dim']}, {tuple(config['hidden'])})"
        expect(got["count"] == sum(int(np.prod(s)) for s in want), f"{name} doit avoir {sum(int(np.prod(s)) for s in want)} "
               "paramètres (couches cachées, deux têtes μ et logvar, décodeur en miroir)")
        expect([list(s) for s in got["shapes"]] == want, f"{name} : dans l'ordre de model.parameters(), les couches "
               "cachées de l'encodeur, puis μ, puis logvar, puis le décodeur")


def test_reparameterization_with_given_weights(student):
    rng = np.random.default_rng(11)
    weights = random_weights(rng, DEEP)
    encode, decode = reference_parts(weights, DEEP["hidden"])
    x = rng.uniform(size=(8, 64)).astype(np.float32)
    eps = rng.normal(size=(8, 3)).astype(np.float32)
    mu, logvar = encode(x)
    for noise, what in ((np.zeros_like(eps), "avec ε = 0, x̂ doit être le décodage de μ"),
                        (eps, "z doit valoir μ + exp(½ · logvar) · ε : σ = exp(½ · logvar), l'écart-type, "
                              "pas la variance")):
        got = student.probe("torch_call", module=MODULE, function="reconstruct", args=("@vae", x, noise),
                            models={"vae": {"factory": FACTORY, "kwargs": DEEP, "weights": weights}})
        value = got["value"]
        expect(isinstance(value, (list, tuple)) and len(value) == 3, "reconstruct (et forward) doit renvoyer (x̂, μ, logvar)")
        expect("Tensor+grad" not in (got.get("kinds") or []), "reconstruct doit calculer sans gradient (torch.no_grad()) : "
               "un tenseur renvoyé porte encore son graphe de calcul")
        recon = as_array(value[0], "x̂", shape=(8, 64))
        expect(np.allclose(as_array(value[1], "μ", shape=(8, 3)), mu, atol=1e-5)
               and np.allclose(as_array(value[2], "logvar", shape=(8, 3)), logvar, atol=1e-5),
               "avec des poids donnés, μ et logvar ne correspondent pas à l'encodeur attendu (couches cachées ReLU, "
               "puis deux couches linéaires : μ d'abord, logvar ensuite)")
        want = decode(mu + np.exp(0.5 * logvar) * t(noise))
        expect(np.allclose(recon, want, atol=1e-5), what)


def test_vae_loss_closed_form(student):
    rng = np.random.default_rng(12)
    recon = rng.uniform(0.05, 0.95, size=(6, 10)).astype(np.float32)
    x = rng.uniform(size=(6, 10)).astype(np.float32)
    mu, logvar = rng.normal(size=(6, 2)).astype(np.float32), rng.normal(scale=0.7, size=(6, 2)).astype(np.float32)
    zeros = np.zeros_like(mu)
    bce, kl = reference_loss(recon, x, mu, logvar)
    got = [as_float(student.probe("torch_call", module=MODULE, function="vae_loss", args=args)["value"], "vae_loss(...)")
           for args in ((recon, x, zeros, zeros), (recon, x, mu, logvar))]
    expect(abs(got[0] - bce) <= 1e-4 * abs(bce), "avec μ = 0 et logvar = 0 (KL nulle), vae_loss doit valoir l'entropie "
           f"croisée binaire sommée sur les valeurs et divisée par la taille du lot (6 ici ; {gap(got[0], bce)})")
    expect(abs(got[1] - got[0]) > 1e-3 * kl,
           "vae_loss doit contenir la divergence KL −½ Σ (1 + logvar − μ² − exp(logvar))")
    expect(got[1] - got[0] > 0,
           "la divergence KL est positive : vérifiez le signe de −½ Σ (1 + logvar − μ² − exp(logvar))")
    expect(abs(got[1] - (bce + kl)) <= 1e-4 * (bce + kl), "vae_loss doit valoir (BCE sommée + KL) / N, avec "
           "KL = −½ Σ (1 + logvar − μ² − exp(logvar))")


def test_generate_decodes_latent_points(student):
    rng = np.random.default_rng(13)
    weights = random_weights(rng, SMALL)
    _, decode = reference_parts(weights, SMALL["hidden"])
    z = rng.normal(size=(5, 2)).astype(np.float32)
    got = student.probe("torch_call", module=MODULE, function="generate", args=("@vae", z),
                        models={"vae": {"factory": FACTORY, "kwargs": SMALL, "weights": weights}})
    images = as_array(got["value"], "generate(model, z)", shape=(5, 64))
    expect(np.allclose(images, decode(z), atol=1e-5), "generate doit renvoyer le décodage des points z donnés")
    expect(got.get("kinds") != "Tensor+grad", "generate doit renvoyer des images sans gradient (torch.no_grad()) : le "
           "tenseur renvoyé porte encore son graphe de calcul")


TRAIN_VAE_CALLS = (("vae_loss", test_vae_loss_closed_form),
                   ("VAE (encode, reparameterize, decode)", test_reparameterization_with_given_weights))


def test_vae_trains_on_digits(student, heldout):
    with relies_on(student, "train_vae", *TRAIN_VAE_CALLS, forgive=False):
        check_training(student, heldout)


def check_training(student, heldout):
    X_train, _, X_test, _ = digits(heldout)
    got = student.probe("torch_call", timeout=60, module=MODULE, function="train_vae", args=("@vae", X_train, 20, 1e-2, 32, 0),
                        models={"vae": {"factory": FACTORY, "kwargs": SMALL}}, report=["vae"])
    history = as_array(got["value"], "historique renvoyé par train_vae")
    expect(history.shape == (20,), f"train_vae doit renvoyer un coût moyen par époque (20 valeurs), forme {history.shape} "
           "obtenue")
    expect(np.all(history >= 0), "le coût du VAE (BCE + KL) ne peut pas être négatif : la KL est ≥ 0")
    expect(history[-1] < history[0], "le coût du VAE doit baisser pendant l'entraînement")
    # The held-out digits go through a forward written here, with the trained weights: they must be
    # those of the architecture asked for (layers of other shapes would make another model).
    expect([list(np.shape(p)) for p in got["parameters"]["vae"]] == shapes(**SMALL), (
        "train_vae ne doit changer que les poids du VAE : ses couches doivent garder les formes de VAE(64, 2, (32,))"))
    encode, decode = reference_parts(got["parameters"]["vae"], SMALL["hidden"])
    mu, logvar = encode(X_test)
    error = float(((decode(mu) - t(X_test)) ** 2).mean())
    kl = float((-0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(axis=1)).mean())
    settle(heldout.score("digits, VAE(64, 2, (32,)): reconstruction MSE of D(μ)", error, at_most=0.07, zero_at=0.09,
                         message="VAE(64, 2, (32,)) entraîné par train_vae (Adam, pas 0,01, lots de 32, 20 époques), "
                         "erreur quadratique moyenne de la reconstruction D(μ) de chiffres jamais vus"),
           heldout.score("digits, VAE(64, 2, (32,)): mean KL", kl, at_most=4, zero_at=8, message=(
               "après entraînement, la KL moyenne des chiffres jamais vus doit rester petite : le terme KL du coût "
               "pousse l'espace latent vers N(0, I)")))


def test_train_vae_uses_its_seed(student):
    # The student's loop, observed (the model notes each batch and ε it is given; lr = 0: it never changes):
    # the history is each epoch's mean loss, computed here from those batches and ε. Then the order of the
    # batches and ε depend on `seed` only: the same seed trains the same, another seed otherwise.
    rng = np.random.default_rng(14)
    weights = [rng.normal(scale=0.1, size=shape).astype(np.float32) for shape in shapes(**SMALL)]  # no saturation
    X = rng.uniform(size=(24, 64)).astype(np.float32).round()
    with relies_on(student, "train_vae", *TRAIN_VAE_CALLS):
        got = student.probe("torch_call", module=MODULE, function="train_vae", args=("@vae", X, 2, 0.0, 8, 0),
                            models={"vae": {"factory": FACTORY, "kwargs": SMALL, "weights": weights, "spy": True}})
        history = as_array(got["value"], "historique renvoyé par train_vae")
        expect(history.shape == (2,), f"train_vae(…, epochs=2) doit renvoyer un coût par époque, forme {history.shape} "
               "obtenue")
        calls = [call for call in got.get("seen", {}).get("vae", []) if len(call) == 2]
        if len(calls) == 6:  # forward called with (x, ε) for each of the 3 batches of 8 per epoch
            encode, decode = reference_parts(weights, SMALL["hidden"])
            losses = []
            for x, eps in calls:
                mu, logvar = encode(x)
                bce, kl = reference_loss(decode(mu + np.exp(0.5 * logvar) * eps), x, mu, logvar)
                losses.append(bce + kl)
            want = np.array([np.mean(losses[:3]), np.mean(losses[3:])])
            expect(np.allclose(history, want, rtol=1e-5), "avec lr = 0 et 3 lots de 8, chaque valeur de l'historique "
                   "doit être le coût moyen de l'époque (vae_loss des lots, en moyenne ; pas leur somme, pas une nouvelle "
                   "division par N)")
        else:  # the model's parts called one by one: the same contract, checked as the public test does, on average over ε
            encode, decode = reference_parts(weights, SMALL["hidden"])
            mu, logvar = encode(X)
            draws = np.random.default_rng(15).standard_normal((200, *mu.shape))
            want = np.mean([sum(reference_loss(decode(mu + np.exp(0.5 * logvar) * eps), X, mu, logvar)) for eps in draws])
            expect(np.allclose(history, want, rtol=0.1), f"avec lr = 0, chaque valeur de l'historique doit être le coût "
                   f"moyen de l'époque (vae_loss des lots, en moyenne ; pas leur somme, pas une nouvelle division par N) : "
                   f"{gap(history, np.full(history.shape, want))}")
        trained = [student.probe("torch_call", module=MODULE, function="train_vae", args=("@vae", X, 1, 0.01, 8, seed),
                                 models={"vae": {"factory": FACTORY, "kwargs": SMALL, "weights": weights}}, report=["vae"],
                                 seed=global_seed)["parameters"]["vae"] for seed, global_seed in ((0, 9), (0, 10), (1, 9))]
        expect(all(np.array_equal(a, b) for a, b in zip(trained[0], trained[1])),
               "train_vae avec la même graine doit redonner le même entraînement, quel que soit l'état du générateur "
               "global de torch (ordre des lots et ε tirés à partir de seed seulement, par exemple avec un "
               "torch.Generator().manual_seed(seed))")
        expect(not all(np.array_equal(a, b) for a, b in zip(trained[0], trained[2])),
               "train_vae avec une autre graine doit donner un autre entraînement : l'ordre des lots et ε doivent "
               "dépendre de seed")


def test_reparameterize_lets_gradients_reach_mu_and_logvar(student):
    rng = np.random.default_rng(5)
    mu, logvar = rng.normal(size=(6, 3)), rng.normal(scale=0.5, size=(6, 3))
    eps = rng.normal(size=(6, 3))
    got = student.probe("torch_call", module=MODULE, function="@vae.reparameterize", args=(mu, logvar, eps),
                        models={"vae": {"factory": FACTORY, "kwargs": DEEP}}, differentiate=[0, 1])
    z = as_array(got["value"], "z", shape=(6, 3))
    expect(np.allclose(z, mu + np.exp(0.5 * logvar) * eps, atol=1e-5), "reparameterize doit renvoyer μ + exp(½ · logvar) · ε")
    grad_mu, grad_logvar = got["gradients"]
    expect(grad_mu is not None and grad_logvar is not None,
           "le gradient doit atteindre μ et logvar à travers z (astuce de reparamétrisation : ne détachez rien)")
    expect(np.allclose(grad_mu, 1.0, atol=1e-5) and np.allclose(grad_logvar, 0.5 * np.exp(0.5 * logvar) * eps, atol=1e-5),
           "∂z/∂μ doit valoir 1 et ∂z/∂logvar ½ · exp(½ · logvar) · ε")
