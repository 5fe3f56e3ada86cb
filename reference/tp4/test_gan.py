"""Hidden tests of tp4/gan.py: both networks (parameter counts, outputs with given weights), both
losses against their closed forms, one `train_step` compared with a step done here (numpy, backpropagation by hand) on the
same weights and data (a D step on detached fakes, then a G step with the non-saturating loss
through the updated D), and a GAN trained by the student's loop on N(3, 0.5²) whose samples'
mean and standard deviation are checked here (best of the seeds in SEEDS)."""
import numpy as np

from grader.grading.replayer import same_architecture
from grader.grading.testkit import as_array, as_float, expect, relies_on

MODULE = "tp4.gan"
SEEDS = (0, 1)  # the GAN check passes if one of these training seeds lands within the tolerances


def sizes_of(first, hidden, last):
    sizes = [first, *hidden, last]
    return list(zip(sizes[:-1], sizes[1:]))


def shapes(first, hidden, last):
    return [shape for n_in, n_out in sizes_of(first, hidden, last) for shape in ([n_out, n_in], [n_out])]


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def reference_net(weights, x, output_sigmoid):
    """ReLU between the layers; a sigmoid at the end for D, a linear output for G.
    Returns the output and the inputs of each layer (kept for `reference_backward`)."""
    a, inputs = np.asarray(x, dtype=float), []
    layers = len(weights) // 2
    for layer in range(layers):
        inputs.append(a)
        a = a @ weights[2 * layer].T + weights[2 * layer + 1]
        if layer < layers - 1:
            a = np.maximum(a, 0)
    return (sigmoid(a) if output_sigmoid else a), inputs


def reference_backward(weights, inputs, d_out):
    """Backpropagation through `reference_net` from d_out, the gradient at its last pre-activation:
    the gradients of the weights (same order) and of the network's input."""
    grads = [None] * len(weights)
    for layer in reversed(range(len(weights) // 2)):
        grads[2 * layer], grads[2 * layer + 1] = d_out.T @ inputs[layer], d_out.sum(axis=0)
        d_out = d_out @ weights[2 * layer]
        if layer > 0:
            d_out = d_out * (inputs[layer] > 0)
    return grads, d_out


NETS = {  # name: (factory, args, shapes, sigmoid output)
    "G(4, 1, (16,))": ("Generator", (4, 1, [16]), shapes(4, [16], 1), False),
    "G(8, 3, (32, 16))": ("Generator", (8, 3, [32, 16]), shapes(8, [32, 16], 3), False),
    "D(1, (16,))": ("Discriminator", (1, [16]), shapes(1, [16], 1), True),
    "D(3, (32, 16))": ("Discriminator", (3, [32, 16]), shapes(3, [32, 16], 1), True),
}


def test_gan_architectures(student):
    for name, (factory, args, want, _) in NETS.items():
        got = student.probe("torch_forward", module=MODULE, factory=factory, args=args)
        count = sum(int(np.prod(s)) for s in want)
        expect(got["count"] == count, f"{name} doit avoir {count} paramètres")
        expect([list(s) for s in got["shapes"]] == want, f"{name} : les couches doivent suivre l'ordre du réseau")


def test_gan_outputs_with_given_weights(student):
    rng = np.random.default_rng(21)
    for name, (factory, args, want, sigmoid) in NETS.items():
        weights = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in want]
        x = rng.normal(size=(7, want[0][1])).astype(np.float32)
        got = student.probe("torch_forward", module=MODULE, factory=factory, args=args, weights=weights, inputs=[x])
        out = as_array(got["outputs"][0], f"sortie de {name}", shape=(7, want[-1][0]))
        reference, _ = reference_net([w.astype(float) for w in weights], x, sigmoid)
        output = "sigmoïde : une probabilité" if sigmoid else "linéaire"
        expect(np.allclose(out, reference, atol=1e-5), f"{name} : avec des poids donnés, la sortie ne correspond "
               f"pas à l'architecture attendue (ReLU cachées, sortie {output})")


def test_discriminator_loss_closed_form(student):
    rng = np.random.default_rng(22)
    d_real, d_fake = rng.uniform(0.05, 0.95, size=(2, 16, 1)).astype(np.float32)
    got = as_float(student.probe("torch_call", module=MODULE, function="discriminator_loss", args=(d_real, d_fake))["value"],
                   "discriminator_loss(d_real, d_fake)")
    want = -np.mean(np.log(d_real.astype(float))) - np.mean(np.log(1 - d_fake.astype(float)))
    expect(abs(got - want) < 1e-5 * want, "L_D doit valoir −moyenne(log D(x)) − moyenne(log(1 − D(G(z)))) : "
           "étiquette 1 pour les vraies données, 0 pour les générées")


def test_generator_loss_is_non_saturating(student):
    d_fake = np.random.default_rng(23).uniform(0.05, 0.95, size=(16, 1)).astype(np.float32)
    got = as_float(student.probe("torch_call", module=MODULE, function="generator_loss", args=(d_fake,))["value"],
                   "generator_loss(d_fake)")
    saturating = np.mean(np.log(1 - d_fake.astype(float)))
    expect(abs(got - saturating) > 1e-3,
           "generator_loss doit être le coût non saturant −log D(G(z)), pas log(1 − D(G(z)))")
    want = -np.mean(np.log(d_fake.astype(float)))
    expect(abs(got - want) < 1e-5 * want, "generator_loss doit valoir −moyenne(log D(G(z)))")


def reference_step(g_weights, d_weights, real, z, lr, order="D then G"):
    """One D step on detached fakes, then one G step with −log D(G(z)) through the updated D (SGD).
    With p = D(x) = σ(a): ∂(−log p)/∂a = p − 1 and ∂(−log(1 − p))/∂a = p.
    The other `order`s are the usual slips, to name them: "G with the old D" (G's loss computed
    before D's step) and "G then D" (G's step first, then D's on the old fakes)."""
    G, D = [w.astype(float) for w in g_weights], [w.astype(float) for w in d_weights]
    fake, g_inputs = reference_net(G, z, False)
    if order != "D then G":
        old_d = D
        p_fake, fake_inputs = reference_net(old_d, fake, True)
        loss_g = -np.mean(np.log(p_fake))
        _, d_fake = reference_backward(old_d, fake_inputs, (p_fake - 1) / len(fake))
        grads_g, _ = reference_backward(G, g_inputs, d_fake)
        new_g = [w - lr * g for w, g in zip(G, grads_g)]
        p_real, real_inputs = reference_net(D, real, True)
        p_fake, fake_inputs = reference_net(D, fake, True)
        loss_d = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
        grads_real, _ = reference_backward(D, real_inputs, (p_real - 1) / len(real))
        grads_fake, _ = reference_backward(D, fake_inputs, p_fake / len(fake))
        return [w - lr * (a + b) for w, a, b in zip(D, grads_real, grads_fake)], new_g, float(loss_d), float(loss_g)
    p_real, real_inputs = reference_net(D, real, True)
    p_fake, fake_inputs = reference_net(D, fake, True)  # fake is a constant here: nothing flows back to G
    loss_d = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
    grads_real, _ = reference_backward(D, real_inputs, (p_real - 1) / len(real))
    grads_fake, _ = reference_backward(D, fake_inputs, p_fake / len(fake))
    D = [w - lr * (a + b) for w, a, b in zip(D, grads_real, grads_fake)]
    p_fake, fake_inputs = reference_net(D, fake, True)
    loss_g = -np.mean(np.log(p_fake))
    _, d_fake = reference_backward(D, fake_inputs, (p_fake - 1) / len(fake))
    grads_g, _ = reference_backward(G, g_inputs, d_fake)
    G = [w - lr * g for w, g in zip(G, grads_g)]
    return D, G, float(loss_d), float(loss_g)


def test_train_step_matches_reference(student):
    with relies_on(student, "train_step", ("discriminator_loss", test_discriminator_loss_closed_form),
                   ("generator_loss", test_generator_loss_is_non_saturating),
                   ("Generator et Discriminator", test_gan_outputs_with_given_weights)):
        check_step(student)


def check_step(student):
    rng = np.random.default_rng(24)
    g_weights = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in shapes(4, [16], 1)]
    d_weights = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in shapes(1, [16], 1)]
    real = rng.normal(3.0, 0.5, size=(32, 1)).astype(np.float32)
    z = rng.normal(size=(32, 4)).astype(np.float32)
    got = student.probe("torch_call", module=MODULE, function="train_step", args=("@G", "@D", "@opt_g", "@opt_d", real, z),
                        models={"G": {"factory": MODULE + ".Generator", "args": [4, 1, [16]], "weights": g_weights},
                                "D": {"factory": MODULE + ".Discriminator", "args": [1, [16]], "weights": d_weights}},
                        optimizers={"opt_g": {"model": "G", "name": "sgd", "lr": 0.5},
                                    "opt_d": {"model": "D", "name": "sgd", "lr": 0.5}},
                        report=["G", "D"], dirty=["G", "D"])  # a loop leaves gradients behind: zero_grad clears them
    want_d, want_g, loss_d, loss_g = reference_step(g_weights, d_weights, real, z, 0.5)
    losses = as_array(got["value"], "(L_D, L_G) renvoyés par train_step", shape=(2,))
    expect(got.get("kinds") in (["float", "float"], ("float", "float")), "train_step doit renvoyer (L_D, L_G) en nombres "
           f"Python (loss.item()), pas {got.get('kinds')}")
    new_d, new_g = got["parameters"]["D"], got["parameters"]["G"]
    same = lambda got, want: all(np.allclose(a, b, atol=1e-5) for a, b in zip(got, want))  # noqa: E731
    expect(not all(np.allclose(a, b) for a, b in zip(new_d, d_weights)), "train_step doit faire un pas de l'optimiseur de D")
    expect(not all(np.allclose(a, b) for a, b in zip(new_g, g_weights)), "train_step doit faire un pas de l'optimiseur de G")
    d_ok, g_ok = same(new_d, want_d) and abs(losses[0] - loss_d) < 1e-4, same(new_g, want_g) and abs(losses[1] - loss_g) < 1e-4
    if d_ok and g_ok:
        return
    slips = [order for order in ("G with the old D", "G then D")
             if same(new_g, reference_step(g_weights, d_weights, real, z, 0.5, order)[1])]
    causes = {"G with the old D": "L_G est calculé avec le D d'avant son pas : calculez de nouveau D(fake) après opt_d.step()",
              "G then D": "le pas de G est fait avant celui de D : faites d'abord le pas de D (sur fake.detach()), puis "
                          "celui de G avec le D mis à jour"}
    expect(not slips, "train_step : " + " ; ".join(causes[slip] for slip in slips))
    expect(d_ok, "pas de D : les paramètres de D ou L_D ne sont pas ceux de L_D = discriminator_loss(D(réelles), "
           "D(fake.detach())) suivi de opt_d.zero_grad(), rétropropagation et opt_d.step() (causes possibles : coût de D, "
           "gradients non remis à zéro, pas de l'optimiseur manquant)")
    expect(g_ok, "pas de G : les paramètres de G ou L_G ne sont pas ceux d'un pas sur le coût non saturant −log D(G(z)), "
           "calculé avec le D mis à jour (causes possibles : échantillons générés non détachés pour le pas de D, si bien "
           "que le gradient de L_D atteint G ; gradients de G non remis à zéro ; coût de G)")


def test_gan_learns_a_gaussian(student):
    with relies_on(student, "train_gan", ("train_step", test_train_step_matches_reference), forgive=False):
        check_learning(student)


def check_learning(student):
    real = np.random.default_rng(25).normal(3.0, 0.5, size=(2000, 1)).astype(np.float32)
    z = np.random.default_rng(26).normal(size=(2000, 4)).astype(np.float32)
    for seed in SEEDS:
        got = student.probe("torch_call", timeout=60, module=MODULE, function="train_gan",
                            args=("@G", "@D", "@opt_g", "@opt_d", real, 4, 600, 64, seed),
                            models={"G": {"factory": MODULE + ".Generator", "args": [4, 1, [32]]},
                                    "D": {"factory": MODULE + ".Discriminator", "args": [1, [32]]}},
                            optimizers={"opt_g": {"model": "G", "name": "adam", "lr": 2e-3},
                                        "opt_d": {"model": "D", "name": "adam", "lr": 2e-3}},
                            describe={"G": z}, describe_before=["G"], seed=seed)
        # G runs in the replay process, rebuilt from its layers and weights, checked on the whole of z (public)
        # at the one batch size it is run at, and training may have changed its weights only: a train_gan that
        # set G to the data's moments instead of training would otherwise pass.
        same_architecture(got.get("before", {}).get("G"), got["models"]["G"], "générateur entraîné par train_gan")
        samples = as_array(student.replay(got["models"]["G"], z, "générateur entraîné").predict(z),
                           "échantillons du générateur entraîné", shape=(2000, 1))
        if abs(samples.mean() - 3.0) < 0.6 and 0.15 < samples.std() < 1.0:
            # Training did it: the generator as built, before train_gan, did not draw from N(3, 0,5²) already.
            untrained = as_array(student.replay(got["before"]["G"], z, "générateur avant l'entraînement").predict(z),
                                 "échantillons du générateur avant l'entraînement", shape=(2000, 1))
            expect(not (abs(untrained.mean() - 3.0) < 0.6 and 0.15 < untrained.std() < 1.0),
                   "le générateur tire déjà des échantillons de moyenne proche de 3 avant l'entraînement : c'est "
                   "train_gan qui doit les lui apprendre (forward doit être le réseau de couches du générateur)")
            return
    expect(False, "entraîné par train_gan (Adam, pas 0,002, 600 pas, lots de 64) sur des données tirées de N(3, 0,5²), "
           "le générateur doit produire des échantillons de moyenne proche de 3 (à 0,6 près) et d'écart-type entre "
           "0,15 et 1")


# (seed passed to the loop, seed of torch's global generator before the call): the same seed from two global
# states must train the same (nothing drawn from the global generator), another seed otherwise.
SEEDS_AND_GLOBAL_STATES = ((0, 9), (0, 10), (1, 9))


def test_train_gan_uses_its_seed(student):
    # The student's loop, observed: D and G note what they receive. Real values 100 + i, which G cannot produce:
    # at each step, D sees one batch of batch_size rows drawn from `real` (with replacement), and G a batch of
    # z ~ N(0, I). Then the rows drawn and z depend on `seed` only.
    real = (100.0 + np.arange(30.0))[:, None].astype(np.float32)
    rng = np.random.default_rng(28)
    g_weights = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in shapes(3, [8], 1)]
    d_weights = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in shapes(1, [8], 1)]
    with relies_on(student, "train_gan", ("train_step", test_train_step_matches_reference)):
        runs = [student.probe("torch_call", module=MODULE, function="train_gan",
                              args=("@G", "@D", "@opt_g", "@opt_d", real, 3, 25, 8, seed),
                              models={"G": {"factory": MODULE + ".Generator", "args": [3, 1, [8]], "weights": g_weights,
                                            "spy": True},
                                      "D": {"factory": MODULE + ".Discriminator", "args": [1, [8]], "weights": d_weights,
                                            "spy": True}},
                              optimizers={"opt_g": {"model": "G", "name": "sgd", "lr": 1e-3},
                                          "opt_d": {"model": "D", "name": "sgd", "lr": 1e-3}},
                              report=["G"], seed=probe_seed) for seed, probe_seed in SEEDS_AND_GLOBAL_STATES]
        history = runs[0]["value"]
        expect(isinstance(history, (list, tuple)) and len(history) == 25, "train_gan(…, steps=25, …) doit renvoyer 25 "
               "couples (L_D, L_G)")
        z = [np.asarray(call[0]) for call in runs[0].get("seen", {}).get("G", []) if call]
        expect(z and all(batch.shape == (8, 3) for batch in z), "G doit recevoir à chaque pas un lot z de forme "
               f"(batch_size, latent_dim) = (8, 3) ; formes obtenues {sorted({batch.shape for batch in z})}")
        points = np.concatenate(z)
        expect(abs(points.mean()) < 0.2 and abs(points.std() - 1) < 0.15, "z doit suivre N(0, I) : moyenne "
               f"{points.mean():.2f} et écart-type {points.std():.2f} obtenus")
        seen = [np.asarray(call[0]).reshape(-1) for call in runs[0].get("seen", {}).get("D", []) if call]
        rows = [batch for batch in seen if batch.size and batch.min() > 50]
        drawn = np.concatenate(rows) if rows else np.zeros(0)
        expect(len(rows) == 25 and all(len(batch) == 8 for batch in rows) and np.isin(drawn, real).all(),
               f"à chaque pas, D doit voir un lot de batch_size = 8 lignes tirées dans real : {len(rows)} lots de données "
               "réelles vus en 25 pas")
        expect(20 <= len(np.unique(drawn)) < len(drawn), "les lots de données réelles doivent être tirés au hasard, avec "
               f"remise, parmi les 30 lignes de real : {len(np.unique(drawn))} lignes différentes vues en {len(drawn)} tirages")
        drawn_by_run = [np.concatenate([np.asarray(call[0]).reshape(-1) for call in run.get("seen", {}).get("D", [])
                                         if call and np.asarray(call[0]).min() > 50] or [np.zeros(0)]) for run in runs]
        expect(np.array_equal(drawn_by_run[0], drawn_by_run[1]) and not np.array_equal(drawn_by_run[0], drawn_by_run[2]),
               "train_gan : les lignes de real tirées doivent ne dépendre que de seed : les mêmes pour la même graine "
               "(quel que soit l'état du générateur global de torch), d'autres pour une autre graine")
        trained = [run["parameters"]["G"] for run in runs]
        expect(all(np.array_equal(a, b) for a, b in zip(trained[0], trained[1])),
               "train_gan avec la même graine doit redonner le même entraînement, quel que soit l'état du générateur "
               "global de torch (lots de données réelles et z tirés à partir de seed seulement, par exemple avec un "
               "torch.Generator().manual_seed(seed))")
        expect(not all(np.array_equal(a, b) for a, b in zip(trained[0], trained[2])),
               "train_gan avec une autre graine doit donner un autre entraînement : les lots et z doivent dépendre de seed")
