"""Realistic mistakes in TP2: losses and their gradients, dropout and batch norm, optimisers, data
splits, the numpy networks and the PyTorch loop."""
from functools import partial

from tests.mistakes import Mistake

LO, LA, OP = "test_losses.py::", "test_layers.py::", "test_optim.py::"
DA, NN, TN = "test_data.py::", "test_numpy_nets.py::", "test_torch_nets.py::"
LOSSES, LAYERS, OPTIM = "tp2/losses.py", "tp2/layers.py", "tp2/optim.py"
DATA, NETS, TORCH = "tp2/data.py", "tp2/numpy_nets.py", "tp2/torch_nets.py"
CHEAP = LO + "test_mae_and_mse_values"  # a hidden test that never imports torch
function = partial(Mistake.of_function, "tp2")
text = partial(Mistake.of_text, "tp2")

MISTAKES = [
    # losses.py
    function("bce without clipping p", LOSSES, "bce",
             "p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)\n"
             "return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))",
             [LO + "test_bce_value"], CHEAP, ["test_entropie_croisee_binaire"]),
    function("bce summed over the samples", LOSSES, "bce",
             "p = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)\ny = np.asarray(y, dtype=float)\n"
             "return float(-np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))",
             [LO + "test_bce_value"], CHEAP, ["test_entropie_croisee_binaire"]),
    function("bce_grad without 1/N", LOSSES, "bce_grad",
             "p = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)\n"
             "return (p - np.asarray(y, dtype=float)) / (p * (1.0 - p))",
             [LO + "test_bce_grad_gradient_check"], CHEAP, ["test_gradient_de_l_entropie_croisee_binaire"]),
    function("bce_grad = (p − y) / N, the sigmoid's derivative cancelled by mistake", LOSSES, "bce_grad",
             "p = np.asarray(p, dtype=float)\nreturn (p - np.asarray(y, dtype=float)) / p.size",
             [LO + "test_bce_grad_gradient_check"], CHEAP, ["test_gradient_de_l_entropie_croisee_binaire"]),
    function("cce averaged over the N·K elements", LOSSES, "cce",
             "p = np.clip(np.asarray(p, dtype=float), EPS, 1.0)\nreturn float(-np.mean(np.asarray(Y, dtype=float) * np.log(p)))",
             [LO + "test_cce_value"], CHEAP, ["test_entropie_croisee_categorielle"]),  # fit's test names cce
    function("softmax_cce_grad without 1/N", LOSSES, "softmax_cce_grad",
             "return softmax(z) - np.asarray(Y, dtype=float)",
             [LO + "test_softmax_cce_grad_gradient_check"], CHEAP, ["test_gradient_softmax_et_entropie_croisee"]),
    function("mae without the absolute value", LOSSES, "mae",
             "return float(np.mean(np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)))",
             [LO + "test_mae_and_mse_values"], LO + "test_bce_value", ["test_erreurs_absolue_et_quadratique_moyennes"]),
    # layers.py
    text("dropout keeps a unit with probability p", LAYERS, ">= p).astype(float)", "< p).astype(float)",
         [LA + "test_dropout_training_drops_and_rescales"], CHEAP, ["test_dropout_en_entrainement"]),
    text("dropout active at evaluation too", LAYERS, "    if not training:\n        return x.copy(), np.ones_like(x)\n", "",
         [LA + "test_dropout_eval_is_identity"], CHEAP, ["test_dropout_en_evaluation"]),
    function("dropout_backward without 1/(1 − p)", LAYERS, "dropout_backward",
             "return np.asarray(dout, dtype=float) * mask",
             [LA + "test_dropout_backward_uses_the_mask"], CHEAP, ["test_retropropagation_du_dropout"]),
    text("batch norm normalising with the unbiased variance", LAYERS, "x.var(axis=0)\n", "x.var(axis=0, ddof=1)\n",
         [LA + "test_batchnorm_training_matches_torch"], CHEAP, ["test_batchnorm_en_entrainement_comme_torch"]),
    text("batch norm running_var updated with the biased variance", LAYERS, "momentum * var * n / (n - 1)",
         "momentum * var", [LA + "test_batchnorm_training_matches_torch"], CHEAP,
         ["test_batchnorm_en_entrainement_comme_torch"]),
    text("batch norm momentum on the wrong side", LAYERS,
         "running_mean = (1 - momentum) * running_mean + momentum * mean",
         "running_mean = momentum * running_mean + (1 - momentum) * mean",
         [LA + "test_batchnorm_training_matches_torch"], CHEAP, ["test_batchnorm_en_entrainement_comme_torch"]),
    text("batch norm updating running_mean in place", LAYERS,
         "running_mean = (1 - momentum) * running_mean + momentum * mean",
         "running_mean *= 1 - momentum\n        running_mean += momentum * mean",
         [LA + "test_batchnorm_training_matches_torch"], CHEAP, ["test_batchnorm_en_entrainement_comme_torch"]),
    text("batchnorm_backward without the terms of μ and σ²", LAYERS,
         "dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))",
         "dx = dx_hat * inv_std", [LA + "test_batchnorm_backward_gradient_check"], CHEAP,
         ["test_retropropagation_de_la_batchnorm"]),
    text("batchnorm_backward with dgamma = Σ dout", LAYERS, "return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)",
         "return dx, dout.sum(axis=0), dout.sum(axis=0)", [LA + "test_batchnorm_backward_gradient_check"], CHEAP,
         ["test_retropropagation_de_la_batchnorm"]),
    # optim.py
    text("SGD momentum with dampening (1 − μ)·g", OPTIM, "self.momentum * v + g for",
         "self.momentum * v + (1 - self.momentum) * g for",
         [OP + "test_sgd_matches_torch"], CHEAP, ["test_sgd_comme_torch"]),
    text("SGD ignoring the momentum", OPTIM, "self.velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads)]",
         "self.velocity = grads", [OP + "test_sgd_matches_torch"], CHEAP, ["test_sgd_comme_torch"]),
    text("RMSprop with ε inside the square root", OPTIM, "g / (np.sqrt(s) + self.eps)", "g / np.sqrt(s + self.eps)",
         [OP + "test_rmsprop_matches_torch"], CHEAP, ["test_rmsprop_comme_torch"]),
    text("Adam starting at t = 1 (bias correction one step late)", OPTIM, "self.t, self.m, self.v = 0, None, None",
         "self.t, self.m, self.v = 1, None, None", [OP + "test_adam_matches_torch"], CHEAP, ["test_adam_comme_torch"]),
    text("Adam with ε inside the square root", OPTIM, "m_hat / (np.sqrt(v_hat) + self.eps)", "m_hat / np.sqrt(v_hat + self.eps)",
         [OP + "test_adam_matches_torch"], CHEAP, ["test_adam_comme_torch"]),
    # data.py
    function("train_test_split without shuffling", DATA, "train_test_split",
             "X, y = np.asarray(X), np.asarray(y)\nn_test = int(round(test_size * len(X)))\n"
             "return X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]",
             [DA + "test_train_test_split_sizes_and_disjoint"], CHEAP, ["test_decoupage_apprentissage_test"]),
    function("train_test_split shuffling X and y with two permutations", DATA, "train_test_split",
             "X, y = np.asarray(X), np.asarray(y)\nrng = np.random.default_rng(seed)\n"
             "X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]\nn_test = int(round(test_size * len(X)))\n"
             "return X[n_test:], X[:n_test], y[n_test:], y[:n_test]",
             [DA + "test_train_test_split_sizes_and_disjoint"], CHEAP, ["test_decoupage_apprentissage_test"]),
    text("train_test_split ignoring stratify", DATA, "    if stratify:\n", "    if False:\n",
         [DA + "test_train_test_split_stratified"], CHEAP, ["test_decoupage_stratifie"]),
    function("k-fold without shuffling", DATA, "kfold_indices",
             "folds = np.array_split(np.arange(n), k)\n"
             "return [(np.concatenate(folds[:i] + folds[i + 1:]), fold) for i, fold in enumerate(folds)]",
             [DA + "test_kfold_folds_partition_the_samples"], CHEAP, ["test_plis_de_la_validation_croisee"]),
    function("k-fold training indices that keep the validation fold", DATA, "kfold_indices",
             "order = np.random.default_rng(seed).permutation(n)\n"
             "return [(order, fold) for fold in np.array_split(order, k)]",
             [DA + "test_kfold_folds_partition_the_samples"], CHEAP, ["test_plis_de_la_validation_croisee"]),
    function("cross_validate with the sample standard deviation (ddof = 1)", DATA, "cross_validate",
             "X, y = np.asarray(X), np.asarray(y)\n"
             "scores = [fit_and_score(X[t], y[t], X[v], y[v]) for t, v in kfold_indices(len(X), k, seed)]\n"
             "return float(np.mean(scores)), float(np.std(scores, ddof=1))",
             [DA + "test_cross_validate_mean_and_std"], CHEAP, ["test_validation_croisee"]),
    function("cross_validate forgetting to pass the seed to kfold_indices", DATA, "cross_validate",
             "X, y = np.asarray(X), np.asarray(y)\n"
             "scores = [fit_and_score(X[t], y[t], X[v], y[v]) for t, v in kfold_indices(len(X), k)]\n"
             "return float(np.mean(scores)), float(np.std(scores))",
             [DA + "test_cross_validate_mean_and_std"], CHEAP, ["test_validation_croisee"]),
    function("minibatches without shuffling", DATA, "minibatches",
             "X, y = np.asarray(X), np.asarray(y)\nfor start in range(0, len(X), batch_size):\n"
             "    yield X[start:start + batch_size], y[start:start + batch_size]",
             [DA + "test_minibatches_cover_each_sample_once"], CHEAP, ["test_mini_lots"]),
    function("minibatches dropping the last, smaller batch", DATA, "minibatches",
             "X, y = np.asarray(X), np.asarray(y)\norder = np.random.default_rng(seed).permutation(len(X))\n"
             "for start in range(0, len(X) - batch_size + 1, batch_size):\n"
             "    batch = order[start:start + batch_size]\n    yield X[batch], y[batch]",
             [DA + "test_minibatches_cover_each_sample_once"], CHEAP, ["test_mini_lots"]),
    function("polynomial errors as sums of squares", DATA, "polynomial_errors",
             "train_errors, test_errors = [], []\nfor degree in degrees:\n    coefs = np.polyfit(x_train, y_train, degree)\n"
             "    train_errors.append(float(np.sum((np.polyval(coefs, x_train) - y_train) ** 2)))\n"
             "    test_errors.append(float(np.sum((np.polyval(coefs, x_test) - y_test) ** 2)))\n"
             "return train_errors, test_errors",
             [DA + "test_bias_and_variance_with_polynomials"], CHEAP, ["test_biais_et_variance"]),
    # numpy_nets.py
    text("numpy network with a sigmoid on the regression output", NETS, 'elif self.output == "sigmoid":',
         'elif self.output in ("sigmoid", "linear"):', [NN + "test_forward_matches_architecture"], CHEAP,
         ["test_reseau_propagation_avant"]),
    text("numpy network's softmax over axis 0", NETS, "a = softmax(z)", "a = np.exp(z) / np.exp(z).sum(axis=0)",
         [NN + "test_forward_matches_architecture"], CHEAP, ["test_reseau_propagation_avant"]),
    text("numpy backward without the 2 of the MSE", NETS,
         '        if self.output == "linear":\n            delta = 2.0 * delta\n', "",
         [NN + "test_backward_gradient_check"], CHEAP, ["test_reseau_retropropagation_differences_finies"]),
    text("numpy backward with db averaged", NETS, "grads = [a_prev.T @ delta, delta.sum(axis=0)] + grads",
         "grads = [a_prev.T @ delta, delta.mean(axis=0)] + grads", [NN + "test_backward_gradient_check"], CHEAP,
         ["test_reseau_retropropagation_differences_finies"]),
    text("numpy backward without relu'", NETS, "delta = (delta @ self.params[2 * layer].T) * (a_prev > 0)",
         "delta = delta @ self.params[2 * layer].T", [NN + "test_backward_gradient_check"], CHEAP,
         ["test_reseau_retropropagation_differences_finies"]),
    function("numpy fit recording the loss after the update", NETS, "fit",
             "history = []\nfor epoch in range(epochs):\n    costs = []\n"
             "    for Xb, Yb in minibatches(X, Y, batch_size, seed + epoch):\n        net.forward(Xb, training=True)\n"
             "        net.params = optimizer.step(net.params, net.backward(Yb))\n"
             "        costs.append(LOSSES[loss](net.forward(Xb), Yb))\n    history.append(float(np.mean(costs)))\n"
             "return history",
             [NN + "test_fit_full_batch_is_gradient_descent"], CHEAP, ["test_fit_descente_de_gradient_sur_tout_le_jeu"]),
    text("numpy fit summing the batch costs", NETS, "history.append(float(np.mean(costs)))",
         "history.append(float(np.sum(costs)))", [NN + "test_fit_full_batch_is_gradient_descent"], CHEAP,
         ["test_fit_historique_par_mini_lots"]),
    # torch_nets.py
    function("regressor with a sigmoid output", TORCH, "regressor",
             "return nn.Sequential(nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())",
             [TN + "test_outputs_with_given_weights"], CHEAP, ["test_sorties_torch_avec_des_poids_donnes"]),
    function("multiclass classifier ending with a softmax", TORCH, "multiclass_classifier",
             "return nn.Sequential(nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, n_classes),\n"
             "                     nn.Softmax(dim=1))",
             [TN + "test_outputs_with_given_weights"], CHEAP, ["test_sorties_torch_avec_des_poids_donnes"]),
    function("course example model with its hidden layers swapped (64 then 128)", TORCH, "course_example_model",
             "return nn.Sequential(nn.Linear(n, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 1))",
             [TN + "test_architectures_have_the_course_parameter_counts"], CHEAP, ["test_architectures_torch_du_cours"]),
    text("torch fit without optimizer.zero_grad()", TORCH, "            optimizer.zero_grad()\n", "",
         [TN + "test_fit_steps_are_gradient_descent"], CHEAP, ["test_fit_torch_comme_une_boucle_faite_a_la_main"]),
    text("torch fit without model.train()", TORCH, "        model.train()\n", "",
         [TN + "test_fit_steps_are_gradient_descent"], CHEAP, ["test_fit_torch_comme_une_boucle_faite_a_la_main"]),
    text("torch fit's history as the sum of the batch losses", TORCH, "history.append(total / count)",
         "history.append(total)", [TN + "test_fit_history_is_the_mean_loss_of_each_epoch"], CHEAP,
         ["test_fit_torch_comme_une_boucle_faite_a_la_main"]),
    text("torch fit without aligning an (N, 1) output on y (N,)", TORCH,
         "            output = model(X)\n            if output.dim() == 2 and output.shape[1] == 1 and y.dim() == 1:\n"
         "                output = output.squeeze(1)\n            loss = loss_fn(output, y)",
         "            output = model(X)\n            loss = loss_fn(output, y)",
         [TN + "test_fit_binary_classifier_breast_cancer"], CHEAP, ["test_fit_torch_comme_une_boucle_faite_a_la_main"]),
    text("evaluate without model.eval()", TORCH, "    model.eval()\n", "",
         [TN + "test_evaluate_is_a_mean_over_samples"], CHEAP, ["test_evaluate_moyenne_par_echantillon_en_mode_evaluation"]),
    text("evaluate returning the sum over the samples", TORCH, "    return total / count", "    return total",
         [TN + "test_evaluate_is_a_mean_over_samples"], CHEAP, ["test_evaluate_moyenne_par_echantillon_en_mode_evaluation"]),
    # conventions met in real code (benchmarks/RESULTS.md) that the docstrings rule out
    function("minibatches reshaping the labels to a (1, m) row (Coursera's convention)", DATA, "minibatches",
             "X, y = np.asarray(X), np.asarray(y)\norder = np.random.default_rng(seed).permutation(len(X))\n"
             "for start in range(0, len(X), batch_size):\n    batch = order[start:start + batch_size]\n"
             "    yield X[batch], y[batch].reshape(1, -1)",
             [DA + "test_minibatches_cover_each_sample_once"], NN + "test_fit_full_batch_is_gradient_descent",
             ["test_mini_lots"]),  # fit calls minibatches: not charged again
    Mistake.calling("tp2", "dropout mask pre-scaled by 1/(1 − p), its backward consistent (CS231n's convention)",
                    LAYERS, "dropout_forward",
                    "x = np.asarray(x, dtype=float)\nif not training:\n    return x.copy(), np.ones_like(x)\n"
                    "mask = (np.random.default_rng(seed).random(x.shape) >= p) / (1.0 - p)\nreturn x * mask, mask",
                    [("dropout_backward", "return np.asarray(dout, dtype=float) * mask")],
                    [LA + "test_dropout_training_drops_and_rescales", LA + "test_dropout_backward_uses_the_mask"],
                    LA + "test_dropout_eval_is_identity", ["test_dropout_en_entrainement", "test_retropropagation_du_dropout"]),
]
