"""Realistic mistakes in TP4: the auto-encoder and its uses, the VAE (heads, reparameterisation,
loss) and the GAN (networks, losses, one step, the training loop)."""
from functools import partial

from tests.mistakes import Mistake

AE, VAE, GAN = "test_autoencoder.py::", "test_vae.py::", "test_gan.py::"
AUTO, VARIATIONAL, ADVERSARIAL = "tp4/autoencoder.py", "tp4/vae.py", "tp4/gan.py"
function = partial(Mistake.of_function, "tp4")
text = partial(Mistake.of_text, "tp4")
AE_LOSS = "            loss = loss_fn(model(noisy), target)\n"
GAN_STEP = ("fake = G(z)\nloss_d = discriminator_loss(D(real), D(fake.detach()))\nopt_d.zero_grad()\nloss_d.backward()\n"
            "opt_d.step()\n")

MISTAKES = [
    # autoencoder.py
    text("auto-encoder with a ReLU on its latent layer", AUTO, "self.encoder = nn.Sequential(*encoder[:-1])",
         "self.encoder = nn.Sequential(*encoder)", [AE + "test_autoencoder_outputs_with_given_weights"],
         AE + "test_fit_threshold_is_a_quantile", ["test_auto_encodeur_avec_des_poids_donnes"]),
    text("auto-encoder whose decoder is not mirrored", AUTO, "zip(sizes[::-1][:-1], sizes[::-1][1:])",
         "zip([latent_dim, *hidden, input_dim][:-1], [latent_dim, *hidden, input_dim][1:])",
         [AE + "test_autoencoder_architecture"], AE + "test_fit_threshold_is_a_quantile",
         ["test_architecture_de_l_auto_encodeur"]),
    text("reconstruction error averaged over the whole batch", AUTO, "return ((model(X) - X) ** 2).mean(dim=1).numpy()",
         "return ((model(X) - X) ** 2).mean().numpy()", [AE + "test_reconstruction_error_per_sample"],
         AE + "test_fit_threshold_is_a_quantile", ["test_erreur_de_reconstruction"]),
    text("reconstruction error summed over the values", AUTO, "return ((model(X) - X) ** 2).mean(dim=1).numpy()",
         "return ((model(X) - X) ** 2).sum(dim=1).numpy()", [AE + "test_reconstruction_error_per_sample"],
         AE + "test_detect_anomalies_uses_the_threshold", ["test_erreur_de_reconstruction"]),  # detect calls it
    function("threshold with np.percentile and a quantile in [0, 1]", AUTO, "fit_threshold",
             "return float(np.percentile(np.asarray(errors, dtype=float), quantile))",
             [AE + "test_fit_threshold_is_a_quantile"], AE + "test_reconstruction_error_per_sample",
             ["test_seuil_de_detection"]),
    function("anomalies where the error is >= the threshold", AUTO, "detect_anomalies",
             "return reconstruction_error(model, X) >= threshold", [AE + "test_detect_anomalies_uses_the_threshold"],
             AE + "test_fit_threshold_is_a_quantile", ["test_detection_d_anomalies"]),
    function("anomalies where the error is below the threshold", AUTO, "detect_anomalies",
             "return reconstruction_error(model, X) < threshold", [AE + "test_detect_anomalies_uses_the_threshold"],
             AE + "test_fit_threshold_is_a_quantile", ["test_detection_d_anomalies"]),
    text("denoising auto-encoder learning to reproduce the noisy input", AUTO, AE_LOSS,
         "            loss = loss_fn(model(noisy), noisy)\n", [AE + "test_train_autoencoder_history_is_the_mean_loss"],
         AE + "test_fit_threshold_is_a_quantile", ["test_entrainement_de_l_auto_encodeur_observe_par_un_espion"]),
    text("denoising noise not scaled by noise_std", AUTO, "noise_std * torch.randn(target.shape, generator=generator)",
         "torch.randn(target.shape, generator=generator)", [AE + "test_train_autoencoder_history_is_the_mean_loss"],
         AE + "test_fit_threshold_is_a_quantile", ["test_entrainement_de_l_auto_encodeur_observe_par_un_espion"]),
    text("auto-encoder trained with SGD instead of Adam", AUTO, "optimizer = torch.optim.Adam(model.parameters(), lr=lr)",
         "optimizer = torch.optim.SGD(model.parameters(), lr=lr)", [AE + "test_autoencoder_reconstructs_held_out_digits"],
         AE + "test_fit_threshold_is_a_quantile", ["test_entrainement_de_l_auto_encodeur_observe_par_un_espion"]),
    text("auto-encoder history as the sum of the batch losses", AUTO, "total += loss.item() * len(batch)\n"
         "        history.append(total / len(X))", "total += loss.item()\n        history.append(total)",
         [AE + "test_train_autoencoder_history_is_the_mean_loss"], AE + "test_fit_threshold_is_a_quantile",
         ["test_entrainement_de_l_auto_encodeur_observe_par_un_espion"]),
    text("auto-encoder batches in the same order every epoch", AUTO,
         "torch.randperm(len(X), generator=generator).split(batch_size)", "torch.arange(len(X)).split(batch_size)",
         [AE + "test_train_autoencoder_history_is_the_mean_loss"], AE + "test_fit_threshold_is_a_quantile",
         ["test_entrainement_de_l_auto_encodeur_observe_par_un_espion"]),
    # vae.py
    text("VAE's logvar from the μ layer", VARIATIONAL, "return self.mu(h), self.logvar(h)", "return self.mu(h), self.mu(h)",
         [VAE + "test_reparameterization_with_given_weights"], VAE + "test_vae_loss_closed_form",
         ["test_vae_avec_des_poids_donnes"]),
    text("VAE defining logvar before μ", VARIATIONAL,
         "        self.mu = nn.Linear(hidden[-1], latent_dim)\n        self.logvar = nn.Linear(hidden[-1], latent_dim)\n",
         "        self.logvar = nn.Linear(hidden[-1], latent_dim)\n        self.mu = nn.Linear(hidden[-1], latent_dim)\n",
         [VAE + "test_reparameterization_with_given_weights"], VAE + "test_vae_loss_closed_form",
         ["test_vae_avec_des_poids_donnes"]),
    text("VAE encoder without ReLU before its heads", VARIATIONAL, "self.encoder = nn.Sequential(*encoder)",
         "self.encoder = nn.Sequential(*encoder[:-1])", [VAE + "test_reparameterization_with_given_weights"],
         VAE + "test_vae_loss_closed_form", ["test_vae_avec_des_poids_donnes"]),
    text("reparameterize with logvar as σ", VARIATIONAL, "return mu + torch.exp(0.5 * logvar) * eps",
         "return mu + logvar * eps", [VAE + "test_reparameterization_with_given_weights"], VAE + "test_vae_loss_closed_form",
         ["test_reparametrisation_et_ses_gradients"]),
    text("reparameterize drawing its own ε", VARIATIONAL, "return mu + torch.exp(0.5 * logvar) * eps",
         "return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)", [VAE + "test_reparameterization_with_given_weights"],
         VAE + "test_vae_loss_closed_form", ["test_reparametrisation_et_ses_gradients"]),
    text("VAE forward decoding μ, whatever ε", VARIATIONAL,
         "return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar", "return self.decode(mu), mu, logvar",
         [VAE + "test_reparameterization_with_given_weights"], VAE + "test_vae_loss_closed_form",
         ["test_vae_avec_des_poids_donnes"]),
    function("VAE loss with the BCE averaged over the values", VARIATIONAL, "vae_loss",
             "reconstruction = F.binary_cross_entropy(recon, x)\nkl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())\n"
             "return (reconstruction + kl) / len(x)",
             [VAE + "test_vae_loss_closed_form"], VAE + "test_vae_architecture", ["test_cout_du_vae"]),
    function("VAE loss not divided by the batch size", VARIATIONAL, "vae_loss",
             'reconstruction = F.binary_cross_entropy(recon, x, reduction="sum")\n'
             "kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())\nreturn reconstruction + kl",
             [VAE + "test_vae_loss_closed_form"], VAE + "test_vae_architecture", ["test_cout_du_vae"]),
    function("KL without its exp(logvar) term", VARIATIONAL, "vae_loss",
             'reconstruction = F.binary_cross_entropy(recon, x, reduction="sum")\n'
             "kl = -0.5 * torch.sum(1 + logvar - mu ** 2)\nreturn (reconstruction + kl) / len(x)",
             [VAE + "test_vae_loss_closed_form"], VAE + "test_vae_architecture", ["test_cout_du_vae"]),
    text("VAE history as the sum of the batch losses over N", VARIATIONAL, "total += loss.item() * len(x)",
         "total += loss.item()", [VAE + "test_train_vae_uses_its_seed"], VAE + "test_vae_architecture",
         ["test_entrainement_du_vae"]),
    function("generate keeping the gradient graph", VARIATIONAL, "generate", "return model.decode(z)",
             [VAE + "test_generate_decodes_latent_points"], VAE + "test_vae_architecture", ["test_generer_et_reconstruire"]),
    # gan.py
    text("generator with a sigmoid output", ADVERSARIAL, "self.net = nn.Sequential(*mlp([latent_dim, *hidden, out_dim]))",
         "self.net = nn.Sequential(*mlp([latent_dim, *hidden, out_dim]), nn.Sigmoid())",
         [GAN + "test_gan_outputs_with_given_weights"], GAN + "test_discriminator_loss_closed_form",
         ["test_gan_avec_des_poids_donnes"]),
    function("discriminator loss with the labels swapped", ADVERSARIAL, "discriminator_loss",
             "bce = nn.BCELoss()\nreturn bce(d_real, torch.zeros_like(d_real)) + bce(d_fake, torch.ones_like(d_fake))",
             [GAN + "test_discriminator_loss_closed_form"], GAN + "test_gan_architectures", ["test_couts_du_gan"]),
    function("discriminator loss halved", ADVERSARIAL, "discriminator_loss",
             "bce = nn.BCELoss()\nreturn (bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))) / 2",
             [GAN + "test_discriminator_loss_closed_form"], GAN + "test_gan_architectures", ["test_couts_du_gan"]),
    function("D step detaching D's output instead of G's", ADVERSARIAL, "train_step",
             "fake = G(z)\nloss_d = discriminator_loss(D(real), D(fake).detach())\nopt_d.zero_grad()\nloss_d.backward()\n"
             "opt_d.step()\nloss_g = generator_loss(D(fake))\nopt_g.zero_grad()\nloss_g.backward()\nopt_g.step()\n"
             "return loss_d.item(), loss_g.item()",
             [GAN + "test_train_step_matches_reference"], GAN + "test_gan_architectures", ["test_deux_pas_de_gan_comme_a_la_main"]),
    function("G step through the D of before its update", ADVERSARIAL, "train_step",
             "fake = G(z)\nd_fake = D(fake)\nloss_d = discriminator_loss(D(real), D(fake.detach()))\nopt_d.zero_grad()\n"
             "loss_d.backward()\nopt_d.step()\nloss_g = generator_loss(d_fake)\nopt_g.zero_grad()\nloss_g.backward()\n"
             "opt_g.step()\nreturn loss_d.item(), loss_g.item()",
             [GAN + "test_train_step_matches_reference"], GAN + "test_gan_architectures", ["test_deux_pas_de_gan_comme_a_la_main"]),
    function("G step without zeroing G's gradients", ADVERSARIAL, "train_step",
             GAN_STEP + "loss_g = generator_loss(D(fake))\nloss_g.backward()\nopt_g.step()\nreturn loss_d.item(), loss_g.item()",
             [GAN + "test_train_step_matches_reference"], GAN + "test_gan_architectures",  # leftover gradients now
             ["test_deux_pas_de_gan_comme_a_la_main"]),
    function("train_step returning the loss tensors", ADVERSARIAL, "train_step",
             GAN_STEP + "loss_g = generator_loss(D(fake))\nopt_g.zero_grad()\nloss_g.backward()\nopt_g.step()\n"
             "return loss_d, loss_g",
             [GAN + "test_train_step_matches_reference"], GAN + "test_gan_architectures",
             ["test_deux_pas_de_gan_comme_a_la_main"]),
    text("train_gan drawing z uniformly in [0, 1)", ADVERSARIAL,
         "z = torch.randn((batch_size, latent_dim), generator=generator)",
         "z = torch.rand((batch_size, latent_dim), generator=generator)", [GAN + "test_gan_learns_a_gaussian"],
         GAN + "test_train_step_matches_reference", ["test_entrainement_du_gan_observe_par_des_espions"]),
    text("train_gan reusing the first real rows at every step", ADVERSARIAL,
         "batch = real[torch.randint(len(real), (batch_size,), generator=generator)]", "batch = real[:batch_size]",
         [GAN + "test_train_gan_uses_its_seed"], GAN + "test_train_step_matches_reference",
         ["test_entrainement_du_gan_observe_par_des_espions"]),
    # conventions met in real code (benchmarks/RESULTS.md) that the docstrings rule out
    function("vae_loss summed over the batch, not divided by N (pytorch/examples' loss_function)", VARIATIONAL,
             "vae_loss", 'return F.binary_cross_entropy(recon, x, reduction="sum") '
             "- 0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())",
             [VAE + "test_vae_loss_closed_form"], VAE + "test_vae_architecture", ["test_cout_du_vae"]),
    text("train_autoencoder with an unseeded generator (the same order and noise whatever the seed)", AUTO,
         "    generator = torch.Generator().manual_seed(seed)\n    optimizer = torch.optim.Adam",
         "    generator = torch.Generator()\n    optimizer = torch.optim.Adam",
         [AE + "test_train_autoencoder_history_is_the_mean_loss"], AE + "test_fit_threshold_is_a_quantile",
         ["test_entrainement_de_l_auto_encodeur_observe_par_un_espion"]),
    text("train_gan with an unseeded generator", ADVERSARIAL,
         "    generator = torch.Generator().manual_seed(seed)\n    history = []\n    for _ in range(steps):",
         "    generator = torch.Generator()\n    history = []\n    for _ in range(steps):",
         [GAN + "test_train_gan_uses_its_seed"], GAN + "test_train_step_matches_reference",
         ["test_entrainement_du_gan_observe_par_des_espions"]),
    function("train_step with G's step before D's", ADVERSARIAL, "train_step",
             "fake = G(z)\nloss_g = generator_loss(D(fake))\nopt_g.zero_grad()\nloss_g.backward()\nopt_g.step()\n"
             "loss_d = discriminator_loss(D(real), D(fake.detach()))\nopt_d.zero_grad()\nloss_d.backward()\nopt_d.step()\n"
             "return loss_d.item(), loss_g.item()",
             [GAN + "test_train_step_matches_reference"], GAN + "test_gan_architectures",
             ["test_deux_pas_de_gan_comme_a_la_main"]),
]
