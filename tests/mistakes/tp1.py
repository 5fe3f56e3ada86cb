"""Realistic mistakes in TP1 (numpy): derivatives, axes, means, the perceptron's rule, descent, the MLP."""
from functools import partial

from tests.mistakes import Mistake

A, L, P, D, M = "test_activations.py::", "test_losses.py::", "test_perceptron.py::", "test_descent.py::", "test_mlp.py::"
ACT, LOSS, PERC, DESC, MLP = "tp1/activations.py", "tp1/losses.py", "tp1/perceptron.py", "tp1/descent.py", "tp1/mlp.py"
AS_FLOAT = "z = np.asarray(z, dtype=float)\n"
MLP_LOOP = "params = init_params(sizes, seed)\nfor _ in range(epochs):\n    grads = backward(params, X, Y)\n"
BACKWARD_HEAD = ("activations = forward(params, X)\n"
                 "delta = mse_grad(activations[-1], Y) * activations[-1] * (1.0 - activations[-1])\ngrads = []\n"
                 "for layer in range(len(params) - 1, -1, -1):\n    W, _ = params[layer]\n    a_prev = activations[layer]\n")
mistake = partial(Mistake.of_function, "tp1")


MISTAKES = [
    # activations.py
    mistake("tanh_prime = 1 − z² (the issue's example)", ACT, "tanh_prime", AS_FLOAT + "return 1.0 - z ** 2",
            [A + "test_tanh_and_derivative"], A + "test_sigmoid_values", ["test_derivee_de_tanh"]),
    mistake("tanh_prime = tanh(z)², the 1 − forgotten", ACT, "tanh_prime", "return np.tanh(z) ** 2",
            [A + "test_tanh_and_derivative"], A + "test_sigmoid_values", ["test_derivee_de_tanh"]),
    mistake("sigmoid with exp(z) instead of exp(−z)", ACT, "sigmoid", AS_FLOAT + "return 1.0 / (1.0 + np.exp(z))",
            [A + "test_sigmoid_values"], A + "test_tanh_and_derivative", ["test_sigmoide"]),
    mistake("sigmoid written exp(z) / (1 + exp(z)): nan for large z", ACT, "sigmoid",
            AS_FLOAT + "return np.exp(z) / (1.0 + np.exp(z))",
            [A + "test_sigmoid_values"], A + "test_sigmoid_prime_gradient_check", ["test_sigmoide"]),
    mistake("sigmoid_prime = σ(z)·(1 − z)", ACT, "sigmoid_prime", AS_FLOAT + "return sigmoid(z) * (1.0 - z)",
            [A + "test_sigmoid_prime_gradient_check"], A + "test_sigmoid_values", ["test_derivee_de_la_sigmoide"]),
    mistake("sigmoid_prime = z·(1 − z), the form in terms of the activation applied to z", ACT, "sigmoid_prime",
            AS_FLOAT + "return z * (1.0 - z)",
            [A + "test_sigmoid_prime_gradient_check"], A + "test_sigmoid_values", ["test_derivee_de_la_sigmoide"]),
    mistake("relu_prime equal to 1 at z = 0 (z >= 0)", ACT, "relu_prime",
            "return (np.asarray(z, dtype=float) >= 0).astype(float)", [A + "test_relu_and_derivative"],
            A + "test_sigmoid_values", ["test_relu_et_sa_derivee"]),
    mistake("relu_prime returns relu(z)", ACT, "relu_prime", "return np.maximum(0.0, np.asarray(z, dtype=float))",
            [A + "test_relu_and_derivative"], A + "test_sigmoid_values", ["test_relu_et_sa_derivee"]),
    mistake("softmax over axis 0", ACT, "softmax",
            AS_FLOAT + "e = np.exp(z - z.max(axis=0, keepdims=True))\nreturn e / e.sum(axis=0, keepdims=True)",
            [A + "test_softmax_matches_definition"], A + "test_sigmoid_values", ["test_softmax_valeurs"]),
    mistake("softmax without keepdims", ACT, "softmax",
            AS_FLOAT + "e = np.exp(z - z.max(axis=-1, keepdims=True))\nreturn e / e.sum(axis=-1)",
            [A + "test_softmax_matches_definition"], A + "test_sigmoid_values", ["test_softmax_valeurs"]),
    mistake("softmax subtracting the maximum of the whole array", ACT, "softmax",
            AS_FLOAT + "e = np.exp(z - z.max())\nreturn e / e.sum(axis=-1, keepdims=True)",
            [A + "test_softmax_is_numerically_stable"], A + "test_sigmoid_values", ["test_softmax_stable_pour_de_grandes_valeurs"]),
    mistake("softmax normalised by the sum of the whole array", ACT, "softmax",
            AS_FLOAT + "e = np.exp(z - z.max(axis=-1, keepdims=True))\nreturn e / e.sum()",
            [A + "test_softmax_matches_definition"], A + "test_sigmoid_values", ["test_softmax_valeurs"]),
    # losses.py
    mistake("mse as a sum", LOSS, "mse",
            "diff = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)\nreturn float(np.sum(diff ** 2))",
            [L + "test_mse_value"], L + "test_mse_grad_gradient_check", ["test_mse"]),
    mistake("mse averaged over the samples only", LOSS, "mse",
            "diff = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)\n"
            "return float(np.sum(diff ** 2) / len(diff))",
            [L + "test_mse_value"], L + "test_mse_grad_gradient_check", ["test_mse"]),
    mistake("mse_grad without the factor 2", LOSS, "mse_grad",
            "y_pred = np.asarray(y_pred, dtype=float)\nreturn (y_pred - np.asarray(y, dtype=float)) / y_pred.size",
            [L + "test_mse_grad_gradient_check"], L + "test_mse_value", ["test_gradient_de_la_mse"]),
    mistake("mse_grad with the wrong sign", LOSS, "mse_grad",
            "y_pred = np.asarray(y_pred, dtype=float)\nreturn 2.0 * (np.asarray(y, dtype=float) - y_pred) / y_pred.size",
            [L + "test_mse_grad_gradient_check"], L + "test_mse_value", ["test_gradient_de_la_mse"]),
    mistake("mse_grad divided by the number of rows", LOSS, "mse_grad",
            "y_pred = np.asarray(y_pred, dtype=float)\nreturn 2.0 * (y_pred - np.asarray(y, dtype=float)) / len(y_pred)",
            [L + "test_mse_grad_gradient_check"], L + "test_mse_value", ["test_gradient_de_la_mse"]),
    # perceptron.py
    mistake("predict with x·w + b >= 0", PERC, "predict",
            "return (np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b >= 0).astype(int)",
            [P + "test_predict_is_a_step_function"], D + "test_iterates_follow_the_rule",
            ["test_prediction_du_perceptron"]),
    mistake("update without the bias", PERC, "update",
            "x = np.asarray(x, dtype=float)\nerror = y - predict(w, b, x[None, :])[0]\n"
            "return np.asarray(w, dtype=float) + lr * error * x, float(b)",
            [P + "test_update_rule"], P + "test_predict_is_a_step_function", ["test_regle_de_mise_a_jour_du_perceptron"]),
    mistake("update with y instead of y − f(x)", PERC, "update",
            "x = np.asarray(x, dtype=float)\nreturn np.asarray(w, dtype=float) + lr * y * x, float(b + lr * y)",
            [P + "test_update_rule"], P + "test_predict_is_a_step_function", ["test_regle_de_mise_a_jour_du_perceptron"]),
    mistake("update changes the w it receives, in place", PERC, "update",
            "x = np.asarray(x, dtype=float)\nerror = y - predict(w, b, x[None, :])[0]\nw += lr * error * x\n"
            "return w, float(b + lr * error)",
            [P + "test_update_rule"], P + "test_train_on_tree_disease", ["test_regle_de_mise_a_jour_du_perceptron"]),
    mistake("perceptron train visits the samples in a shuffled order", PERC, "train",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\nrng = np.random.default_rng(0)\n"
            "for _ in range(epochs):\n    for i in rng.permutation(len(X)):\n        w, b = update(w, b, X[i], y[i], lr)\n"
            "return w, b",
            [P + "test_train_on_tree_disease"], P + "test_update_rule", ["test_apprentissage_du_perceptron"]),
    mistake("perceptron train does one epoch fewer", PERC, "train",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\nfor _ in range(epochs - 1):\n"
            "    for xi, yi in zip(X, y):\n        w, b = update(w, b, xi, yi, lr)\nreturn w, b",
            [P + "test_train_on_tree_disease"], P + "test_update_rule", ["test_apprentissage_du_perceptron"]),
    # descent.py
    mistake("gradient_descent leaves x0 out of the path", DESC, "gradient_descent",
            "x = np.array(x0, dtype=float)\npath = []\nfor _ in range(n_steps):\n"
            "    x = x - lr * np.asarray(grad(x), dtype=float)\n    path.append(x.copy())\nreturn np.stack(path)",
            [D + "test_iterates_follow_the_rule"], P + "test_update_rule", ["test_descente_de_gradient_pas_a_pas"]),
    mistake("gradient ascent: x + λ·grad", DESC, "gradient_descent",
            "x = np.array(x0, dtype=float)\npath = [x.copy()]\nfor _ in range(n_steps):\n"
            "    x = x + lr * np.asarray(grad(x), dtype=float)\n    path.append(x.copy())\nreturn np.stack(path)",
            [D + "test_iterates_follow_the_rule"], P + "test_update_rule", ["test_descente_de_gradient_pas_a_pas"]),
    mistake("gradient_descent appends one array updated in place", DESC, "gradient_descent",
            "x = np.array(x0, dtype=float)\npath = [x]\nfor _ in range(n_steps):\n"
            "    x -= lr * np.asarray(grad(x), dtype=float)\n    path.append(x)\nreturn np.stack(path)",
            [D + "test_iterates_follow_the_rule"], P + "test_update_rule", ["test_descente_de_gradient_pas_a_pas"]),
    # mlp.py
    mistake("n_parameters without the biases", MLP, "n_parameters",
            "return sum(int(n_in) * int(n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))",
            [M + "test_n_parameters_course_counts"], M + "test_forward_activations", ["test_nombre_de_parametres"]),
    mistake("n_parameters counting a bias for the input layer too", MLP, "n_parameters",
            "return sum(int(n_in) * int(n_out) + int(n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:]))",
            [M + "test_n_parameters_course_counts"], M + "test_forward_activations", ["test_nombre_de_parametres"]),
    mistake("init_params ignores the seed", MLP, "init_params",
            "rng = np.random.default_rng()\nreturn [(rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out)), "
            "np.zeros(n_out))\n        for n_in, n_out in zip(sizes[:-1], sizes[1:])]",
            [M + "test_init_params_shapes_and_seed"], M + "test_forward_activations",
            ["test_initialisation_des_parametres"]),
    mistake("forward without + b (the issue's example)", MLP, "forward",
            "activations = [np.asarray(X, dtype=float)]\nfor W, b in params:\n"
            "    activations.append(sigmoid(activations[-1] @ W))\nreturn activations",
            [M + "test_forward_activations"], M + "test_n_parameters_course_counts", ["test_propagation_avant"]),
    mistake("forward with a linear output layer", MLP, "forward",
            "activations = [np.asarray(X, dtype=float)]\nfor layer, (W, b) in enumerate(params):\n"
            "    z = activations[-1] @ W + b\n    activations.append(z if layer == len(params) - 1 else sigmoid(z))\n"
            "return activations",
            [M + "test_forward_activations"], M + "test_n_parameters_course_counts", ["test_propagation_avant"]),
    mistake("backward with db averaged over the samples", MLP, "backward",
            BACKWARD_HEAD + "    grads.append((a_prev.T @ delta, delta.mean(axis=0)))\n"
            "    delta = (delta @ W.T) * a_prev * (1.0 - a_prev)\nreturn grads[::-1]",
            [M + "test_backward_gradient_check"], M + "test_forward_activations",
            ["test_retropropagation_differences_finies"]),
    mistake("backward without σ' in the hidden layers", MLP, "backward",
            BACKWARD_HEAD + "    grads.append((a_prev.T @ delta, delta.sum(axis=0)))\n    delta = delta @ W.T\n"
            "return grads[::-1]",
            [M + "test_backward_gradient_check"], M + "test_forward_activations",
            ["test_retropropagation_differences_finies"]),
    mistake("MLP train climbs the gradient", MLP, "train",
            MLP_LOOP + "    params = [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]\nreturn params",
            [M + "test_train_is_full_batch_gradient_descent"], M + "test_forward_activations",
            ["test_entrainement_pas_a_pas"]),
    mistake("MLP train updates W only", MLP, "train",
            MLP_LOOP + "    params = [(W - lr * dW, b) for (W, b), (dW, db) in zip(params, grads)]\nreturn params",
            [M + "test_train_is_full_batch_gradient_descent"], M + "test_forward_activations",
            ["test_entrainement_pas_a_pas"]),
    mistake("MLP train with one step per sample instead of full batch", MLP, "train",
            "params = init_params(sizes, seed)\nfor _ in range(epochs):\n    for i in range(len(X)):\n"
            "        grads = backward(params, X[i:i + 1], Y[i:i + 1])\n"
            "        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]\nreturn params",
            [M + "test_train_is_full_batch_gradient_descent"], M + "test_forward_activations",
            ["test_entrainement_pas_a_pas"]),
    mistake("MLP train starts from seed 0 whatever the seed", MLP, "train",
            "params = init_params(sizes, 0)\nfor _ in range(epochs):\n    grads = backward(params, X, Y)\n"
            "    params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]\nreturn params",
            [M + "test_train_is_full_batch_gradient_descent"], M + "test_forward_activations",
            ["test_entrainement_pas_a_pas"]),
]
