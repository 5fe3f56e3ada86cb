"""TP4 (auto-encoders, VAE, GAN): the solution gets 20/20, the stubs 0, and plausible bugs lose points.

Each buggy variant is graded only on the tests it should fail plus one it should pass
(`RunOptions.only`), to keep the suite fast: training tests cost about a second each.
"""
from __future__ import annotations

import pytest

from grader.grading.runner import grade_checkout

from .conftest import loses_points

AE, VAE, GAN = "test_autoencoder.py::", "test_vae.py::", "test_gan.py::"

# Function bodies swapped in the solution (conftest's `replace_function`, top-level functions).
BUGS = {
    "KL with the wrong sign": (
        ("tp4/vae.py", "vae_loss"),
        'reconstruction = F.binary_cross_entropy(recon, x, reduction="sum")\n'
        "kl = 0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())\nreturn (reconstruction + kl) / len(x)",
        [VAE + "test_vae_loss_closed_form", VAE + "test_vae_trains_on_digits"], VAE + "test_generate_decodes_latent_points"),
    "VAE loss without its KL term": (
        ("tp4/vae.py", "vae_loss"),
        'return F.binary_cross_entropy(recon, x, reduction="sum") / len(x)',
        [VAE + "test_vae_loss_closed_form", VAE + "test_vae_trains_on_digits"], VAE + "test_vae_architecture"),
    "D step without detach (G's gradients not cleared)": (
        ("tp4/gan.py", "train_step"),
        "opt_d.zero_grad()\nopt_g.zero_grad()\nfake = G(z)\nloss_d = discriminator_loss(D(real), D(fake))\n"
        "loss_d.backward(retain_graph=True)\nopt_d.step()\nloss_g = generator_loss(D(fake))\nloss_g.backward()\n"
        "opt_g.step()\nreturn loss_d.item(), loss_g.item()",
        [GAN + "test_train_step_matches_reference"], GAN + "test_discriminator_loss_closed_form"),
    "saturating generator loss log(1 - D(G(z)))": (
        ("tp4/gan.py", "generator_loss"),
        "return torch.log(1 - d_fake).mean()",
        # train_step calls it: kept 0.75 of its 2 points (what generator_loss's own test lost), naming it
        [GAN + "test_generator_loss_is_non_saturating", GAN + "test_train_step_matches_reference"],
        GAN + "test_discriminator_loss_closed_form"),
    "denoising loop that ignores noise_std": (
        ("tp4/autoencoder.py", "train_autoencoder"),
        "generator = torch.Generator().manual_seed(seed)\noptimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
        "history = []\nfor _ in range(epochs):\n    total = 0.0\n"
        "    for batch in torch.randperm(len(X), generator=generator).split(batch_size):\n"
        "        loss = nn.functional.mse_loss(model(X[batch]), X[batch])\n        optimizer.zero_grad()\n"
        "        loss.backward()\n        optimizer.step()\n        total += loss.item() * len(batch)\n"
        "    history.append(total / len(X))\nreturn history",
        [AE + "test_denoising_autoencoder_beats_the_identity"], AE + "test_autoencoder_reconstructs_held_out_digits"),
    "threshold at the mean error instead of the quantile": (
        ("tp4/autoencoder.py", "fit_threshold"),
        "return float(np.mean(errors))",
        [AE + "test_fit_threshold_is_a_quantile", AE + "test_anomaly_detection_separates_two_digits"],
        AE + "test_detect_anomalies_uses_the_threshold"),
}

# Bugs in methods, which `replace_function` cannot reach: (file, old text, new text), applied to the solution file.
METHOD_BUGS = {
    "std = exp(logvar) instead of exp(logvar / 2)": (
        "tp4/vae.py", "return mu + torch.exp(0.5 * logvar) * eps", "return mu + torch.exp(logvar) * eps",
        [VAE + "test_reparameterization_with_given_weights"], VAE + "test_vae_loss_closed_form"),
    "reparameterize that detaches mu and logvar (no gradient reaches the encoder)": (
        "tp4/vae.py", "return mu + torch.exp(0.5 * logvar) * eps",
        "return mu.detach() + torch.exp(0.5 * logvar.detach()) * eps",
        [VAE + "test_reparameterize_lets_gradients_reach_mu_and_logvar"], VAE + "test_reparameterization_with_given_weights"),
    "autoencoder without its output sigmoid": (
        "tp4/autoencoder.py", "self.decoder = nn.Sequential(*decoder[:-1], nn.Sigmoid())",
        "self.decoder = nn.Sequential(*decoder[:-1])",
        [AE + "test_autoencoder_outputs_with_given_weights"], AE + "test_autoencoder_architecture"),
}


@pytest.fixture(scope="module")
def tp4(project):
    return project.tp("tp4")


def test_rubric_sums_to_twenty(tp4):
    assert sum(tp4.rubric.points.values()) == 20


def test_solution_gets_full_marks(project, tp4):
    grading, _ = grade_checkout(project, tp4, project.solutions)
    failed = [(t.id, t.message) for t in grading.tests if t.status != "passed"]
    assert not failed and grading.score == 20


def test_stubs_get_zero(project, tp4):
    grading, _ = grade_checkout(project, tp4, project.assignments)
    assert grading.score == 0
    assert all(t.status != "passed" for t in grading.tests)


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_plausible_bugs_lose_points(project, tp4, student_repo, bug):
    where, body, should_fail, should_pass = BUGS[bug]
    loses_points(project, "tp4", student_repo(functions={where: body}), should_fail, should_pass)


@pytest.mark.parametrize("bug", sorted(METHOD_BUGS))
def test_plausible_method_bugs_lose_points(project, tp4, student_repo, bug):
    relative, old, new, should_fail, should_pass = METHOD_BUGS[bug]
    source = (project.solutions / relative).read_text(encoding="utf-8")
    assert source.count(old) == 1
    loses_points(project, "tp4", student_repo(files={relative: source.replace(old, new)}), should_fail, should_pass)


def test_wrong_kl_sign_is_named_in_the_feedback(project, tp4, student_repo):
    """The feedback says what is wrong (the sign of the KL), in French."""
    repo = student_repo(functions={BUGS["KL with the wrong sign"][0]: BUGS["KL with the wrong sign"][1]})
    grading = loses_points(project, "tp4", repo, [VAE + "test_vae_loss_closed_form"], VAE + "test_vae_architecture")
    message = next(t.message for t in grading.tests if t.id == VAE + "test_vae_loss_closed_form")
    assert "signe" in message and "KL" in message
