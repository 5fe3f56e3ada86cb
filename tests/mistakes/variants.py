"""The project's own buggy variants (the BUGS tables of tests/test_runner.py and tests/test_tp*.py)
as `Mistake`s, with the public tests each must fail. Their hidden tests come from their tables,
and their own tests check them."""
from __future__ import annotations

from dataclasses import replace

from grader.grading.config import Project
from tests import test_runner, test_tp2_numpy, test_tp2_torch, test_tp3, test_tp4
from tests.conftest import ROOT
from tests.mistakes import Mistake

# variant name -> the public tests it must fail
PUBLIC = {
    # TP1 (tests/test_runner.py)
    "perceptron rule with the wrong sign": ("test_regle_de_mise_a_jour_du_perceptron",),
    "backward without the sigmoid derivative at the output": ("test_retropropagation_differences_finies",),
    "softmax without subtracting the maximum": ("test_softmax_stable_pour_de_grandes_valeurs",),
    "mse gradient without the 1/N": ("test_gradient_de_la_mse",),
    # TP2 (tests/test_tp2_numpy.py, tests/test_tp2_torch.py)
    "BCE gradient with the wrong sign": ("test_gradient_de_l_entropie_croisee_binaire",),
    "dropout not rescaled": ("test_dropout_en_entrainement",),
    "batch norm with the batch statistics at evaluation": ("test_batchnorm_en_evaluation",),
    "k-fold folds drawn independently, so they overlap": ("test_plis_de_la_validation_croisee",),
    "Adam without bias correction": ("test_adam_comme_torch",),
    "evaluate averages the batch means": ("test_evaluate_moyenne_par_echantillon_en_mode_evaluation",),
    "fit never steps the optimiser": ("test_fit_torch_comme_une_boucle_faite_a_la_main",),
    "binary classifier without its sigmoid": ("test_sorties_torch_avec_des_poids_donnes",),
    # TP3 (tests/test_tp3.py)
    "kernel flipped (a true convolution)": ("test_le_noyau_n_est_pas_retourne", "test_convolution_comme_torch"),
    "padding on one side only": ("test_convolution_exemples_du_cours", "test_convolution_comme_torch"),
    "stride ignored in the output size": ("test_taille_de_sortie",),
    "pooling that averages": ("test_max_pooling",),
    "bias missing from the parameter count": ("test_nombre_de_parametres_d_une_convolution",),
    # TP4 (tests/test_tp4.py)
    "KL with the wrong sign": ("test_cout_du_vae",),
    "VAE loss without its KL term": ("test_cout_du_vae",),
    "D step without detach (G's gradients not cleared)": ("test_deux_pas_de_gan_comme_a_la_main",),
    "saturating generator loss log(1 - D(G(z)))": ("test_couts_du_gan",),
    "denoising loop that ignores noise_std": ("test_entrainement_de_l_auto_encodeur_observe_par_un_espion",),
    "threshold at the mean error instead of the quantile": ("test_seuil_de_detection",),
    "std = exp(logvar) instead of exp(logvar / 2)": ("test_reparametrisation_et_ses_gradients",),
    "reparameterize that detaches mu and logvar (no gradient reaches the encoder)": (
        "test_reparametrisation_et_ses_gradients",),
    "autoencoder without its output sigmoid": ("test_auto_encodeur_avec_des_poids_donnes",),
}
ADAM_CORRECTION = "m_hat, v_hat = m / (1 - beta1 ** self.t), v / (1 - beta2 ** self.t)"  # tests/test_tp2_numpy.py's bug


def with_file(rubric: list[str], names: set[str]) -> tuple[str, ...]:
    """tests/test_runner.py and tests/test_tp2_numpy.py name hidden tests without their file."""
    return tuple(sorted(test for test in rubric if test.split("::")[1] in names))


def variants(tp: str) -> list[Mistake]:
    rubric = list(Project.at(ROOT).tp(tp).rubric.points)
    if tp == "tp1":
        return [Mistake(tp, name, file, body, function=function, hidden=with_file(rubric, failing))
                for name, ((file, function), body, failing) in test_runner.BUGS.items()]
    if tp == "tp2":
        return ([Mistake(tp, name, file, body, function=function, hidden=with_file(rubric, failing))
                 for name, ((file, function), body, failing) in test_tp2_numpy.FUNCTION_BUGS.items()]
                + [Mistake(tp, "Adam without bias correction", "tp2/optim.py", "m_hat, v_hat = m, v", old=ADAM_CORRECTION,
                           hidden=("test_optim.py::test_adam_matches_torch",))]
                + [Mistake(tp, name, "tp2/torch_nets.py", body, function=function, hidden=tuple(failing), passes=passing)
                   for name, (function, body, failing, passing) in test_tp2_torch.BUGS.items()])
    if tp == "tp3":
        return [Mistake(tp, name, "tp3/conv.py", body, function=function, hidden=tuple(failing), passes=passing)
                for name, (function, body, failing, passing) in test_tp3.BUGS.items()]
    return ([Mistake(tp, name, file, body, function=function, hidden=tuple(failing), passes=passing)
             for name, ((file, function), body, failing, passing) in test_tp4.BUGS.items()]
            + [Mistake(tp, name, file, new, old=old, hidden=tuple(failing), passes=passing)
               for name, (file, old, new, failing, passing) in test_tp4.METHOD_BUGS.items()])


def project_variants(tp: str) -> list[Mistake]:
    return [replace(m, public=PUBLIC.get(m.name, ())) for m in variants(tp)]
