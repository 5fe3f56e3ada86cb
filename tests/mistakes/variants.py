"""The project's own buggy variants (the BUGS tables of tests/test_runner.py and tests/test_tp*.py)
as `Mistake`s, with the public tests each must fail. Their hidden tests come from their tables."""
from __future__ import annotations

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


def with_file(rubric: list[str], names: set[str]) -> tuple[str, ...]:
    """tests/test_runner.py names hidden tests without their file: find it in the rubric."""
    return tuple(sorted(test for test in rubric if test.split("::")[1] in names))


def project_variants(tp: str) -> list[Mistake]:
    from grader.config import Project
    from tests.conftest import ROOT

    rubric = list(Project.at(ROOT).tp(tp).rubric.points)
    made = []
    if tp == "tp1":
        from tests.test_runner import BUGS

        for name, ((file, function), body, failing) in BUGS.items():
            made.append(Mistake(tp, name, file, body, function=function, hidden=with_file(rubric, failing)))
    elif tp == "tp2":
        from tests.test_tp2_numpy import FUNCTION_BUGS
        from tests.test_tp2_torch import BUGS

        for name, ((file, function), body, failing) in FUNCTION_BUGS.items():
            made.append(Mistake(tp, name, file, body, function=function, hidden=with_file(rubric, failing)))
        made.append(Mistake(tp, "Adam without bias correction", "tp2/optim.py", "m_hat, v_hat = m, v",
                            old="m_hat, v_hat = m / (1 - beta1 ** self.t), v / (1 - beta2 ** self.t)",
                            hidden=("test_optim.py::test_adam_matches_torch",)))
        for name, (function, body, failing, passing) in BUGS.items():
            made.append(Mistake(tp, name, "tp2/torch_nets.py", body, function=function, hidden=tuple(failing),
                                passes=passing))
    elif tp == "tp3":
        from tests.test_tp3 import BUGS

        for name, (function, body, failing, passing) in BUGS.items():
            made.append(Mistake(tp, name, "tp3/conv.py", body, function=function, hidden=tuple(failing), passes=passing))
    elif tp == "tp4":
        from tests.test_tp4 import BUGS, METHOD_BUGS

        for name, ((file, function), body, failing, passing) in BUGS.items():
            made.append(Mistake(tp, name, file, body, function=function, hidden=tuple(failing), passes=passing))
        for name, (file, old, new, failing, passing) in METHOD_BUGS.items():
            made.append(Mistake(tp, name, file, new, old=old, hidden=tuple(failing), passes=passing))
    from dataclasses import replace

    return [replace(m, public=PUBLIC.get(m.name, ())) for m in made]
