"""Correct answers in conventions met in real code (benchmarks/RESULTS.md's table of public code),
as one-function rewrites of solutions/: each is allowed by its docstring, so it must get full
marks from the hidden tests that exercise it (`graded`) and pass every public test.
`tests/test_alternatives.py` grades them; `benchmarks/bench_agreement.py` grades them in full."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.mistakes import Mistake


@dataclass(frozen=True)
class Convention:
    tp: str  # "tp2"
    name: str  # the convention, in English
    file: str  # the file it changes: "tp2/losses.py"
    new: str  # the function's new body, or the text that replaces `old`
    function: str = ""  # the top-level function whose body `new` replaces
    old: str = ""  # or: the exact text of the solution that `new` replaces (once)
    graded: tuple[str, ...] = ()  # hidden tests that exercise it, all of which it must pass
    source: str = ""  # where it was met
    also: tuple[tuple[str, str], ...] = ()  # other functions of `file` rewritten to go with it (function, body)

    def write_into(self, repo: Path) -> Path:
        return Mistake(self.tp, self.name, self.file, self.new, function=self.function, old=self.old,
                       also=self.also).write_into(repo)


LO, LA, OP, DA, NN, TN = ("test_losses.py::", "test_layers.py::", "test_optim.py::", "test_data.py::",
                          "test_numpy_nets.py::", "test_torch_nets.py::")
A, P, M = "test_activations.py::", "test_perceptron.py::", "test_mlp.py::"
CV, MO = "test_conv.py::", "test_models.py::"
AE, VAE, GAN = "test_autoencoder.py::", "test_vae.py::", "test_gan.py::"

CONVENTIONS = [
    # TP1
    Convention("tp1", "relu_prime as integers, np.where(z > 0, 1, 0)", "tp1/activations.py",
               "return np.where(np.asarray(z) > 0, 1, 0)", function="relu_prime", graded=(A + "test_relu_and_derivative",),
               source="from-scratch activation files (DikshantK2004, ncorpron)"),
    Convention("tp1", "sigmoid and its derivative computed in float32", "tp1/activations.py",
               "return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float32)))", function="sigmoid",
               graded=(A + "test_sigmoid_values", A + "test_sigmoid_prime_gradient_check", M + "test_forward_activations"),
               source="float32 arrays of PyTorch-minded code"),
    Convention("tp1", "perceptron predict with a list comprehension of 0/1 integers", "tp1/perceptron.py",
               "return np.array([1 if v > 0 else 0 for v in np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b])",
               function="predict", graded=(P + "test_predict_is_a_step_function", P + "test_train_on_tree_disease"),
               source="tauheed-13/Perceptron-Implementation's step (with > 0)"),
    # TP2
    Convention("tp2", "bce clipped at 1e-15", "tp2/losses.py",
               "p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)\ny = np.asarray(y, dtype=float)\n"
               "return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))", function="bce",
               graded=(LO + "test_bce_value",), source="from-scratch losses (JBratvold, amassrywork-collab, …)"),
    Convention("tp2", "bce clipped at 1e-7 (Keras' epsilon)", "tp2/losses.py",
               "p = np.clip(np.asarray(p, dtype=float), 1e-7, 1 - 1e-7)\ny = np.asarray(y, dtype=float)\n"
               "return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))", function="bce",
               graded=(LO + "test_bce_value",), source="Keras' backend epsilon"),
    Convention("tp2", "optimisers updating the received arrays in place (CS231n's optim.py)", "tp2/optim.py",
               "        for p, v in zip(params, self.velocity):\n            p -= self.lr * v\n        return list(params)",
               old="        return [p - self.lr * v for p, v in zip(params, self.velocity)]",
               graded=(OP + "test_sgd_matches_torch", NN + "test_fit_full_batch_is_gradient_descent"),
               source="CS231n optim.py (Asher-1/AI)"),
    Convention("tp2", "minibatches returning a list of batches", "tp2/data.py",
               "X, y = np.asarray(X), np.asarray(y)\norder = np.random.default_rng(seed).permutation(len(X))\n"
               "return [(X[order[s:s + batch_size]], y[order[s:s + batch_size]]) for s in range(0, len(X), batch_size)]",
               function="minibatches", graded=(DA + "test_minibatches_cover_each_sample_once",
                                               NN + "test_fit_full_batch_is_gradient_descent"),
               source="Coursera-style random_mini_batches (a list)"),
    Convention("tp2", "train_test_split with the global generator seeded by np.random.seed(seed)", "tp2/data.py",
               "X, y = np.asarray(X), np.asarray(y)\nnp.random.seed(seed)\norder = np.random.permutation(len(X))\n"
               "n_test = int(round(test_size * len(X)))\nif stratify:\n"
               "    test = np.concatenate([order[y[order] == c][:int(round(test_size * np.sum(y == c)))] for c in np.unique(y)])\n"
               "else:\n    test = order[:n_test]\ntrain = np.array([i for i in order if i not in set(test)])\n"
               "return X[train], X[test], y[train], y[test]", function="train_test_split",
               graded=(DA + "test_train_test_split_sizes_and_disjoint", DA + "test_train_test_split_stratified"),
               source="from-scratch splits with np.random.seed"),
    Convention("tp2", "numpy fit's history weighted by the batches' sizes", "tp2/numpy_nets.py",
               "history = []\nfor epoch in range(epochs):\n    total, count = 0.0, 0\n"
               "    for Xb, Yb in minibatches(X, Y, batch_size, seed + epoch):\n"
               "        total += LOSSES[loss](net.forward(Xb, training=True), Yb) * len(Xb)\n        count += len(Xb)\n"
               "        net.params = optimizer.step(net.params, net.backward(Yb))\n    history.append(total / count)\n"
               "return history", function="fit", graded=(NN + "test_fit_full_batch_is_gradient_descent",),
               source="per-sample averages of training loops"),
    Convention("tp2", "torch fit's history as the mean of the batch losses (total / len(loader))", "tp2/torch_nets.py",
               "total += loss.item()\n            count += 1", old="total += loss.item() * len(X)\n            count += len(X)",
               graded=(TN + "test_fit_history_is_the_mean_loss_of_each_epoch", TN + "test_fit_steps_are_gradient_descent"),
               source="PyTorch tutorials' running_loss / len(train_loader) (soumadeepmaiti, pab1s, …)"),
    Convention("tp2", "batch norm cache with a mode label (\"train\", x̂, γ, 1/σ)", "tp2/layers.py",
               'return gamma * x_hat + beta, ("train", x_hat, np.asarray(gamma, dtype=float), inv_std), running_mean, '
               "running_var",
               old="return gamma * x_hat + beta, (x_hat, np.asarray(gamma, dtype=float), inv_std), running_mean, running_var",
               also=(("batchnorm_backward", "_, x_hat, gamma, inv_std = cache\ndout = np.asarray(dout, dtype=float)\n"
                      "dx_hat = dout * gamma\nn = len(dout)\n"
                      "dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))\n"
                      "return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)"),),
               graded=(LA + "test_batchnorm_training_matches_torch", LA + "test_batchnorm_backward_gradient_check"),
               source="CS231n's cache with its mode (jodusan/dstl)"),
    # TP3
    Convention("tp3", "conv2d in float32 with loops over the output pixels (d2l's corr2d)", "tp3/conv.py",
               "x = np.pad(np.asarray(x, dtype=np.float32), padding)\nk = np.asarray(k, dtype=np.float32)\n"
               "h, w = k.shape\nY = np.zeros(((x.shape[0] - h) // stride + 1, (x.shape[1] - w) // stride + 1), dtype=np.float32)\n"
               "for i in range(Y.shape[0]):\n    for j in range(Y.shape[1]):\n"
               "        Y[i, j] = (x[i * stride:i * stride + h, j * stride:j * stride + w] * k).sum()\nreturn Y",
               function="conv2d", graded=(CV + "test_conv2d_course_examples", CV + "test_conv2d_matches_torch"),
               source="d2l's corr2d (torch float32)"),
    Convention("tp3", "maxpool2d with loops (CS231n's max_pool_forward_naive)", "tp3/conv.py",
               "x = np.asarray(x, dtype=float)\nrows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1\n"
               "out = np.zeros((rows, cols))\nfor i in range(rows):\n    for j in range(cols):\n"
               "        out[i, j] = x[i * stride:i * stride + size, j * stride:j * stride + size].max()\nreturn out",
               function="maxpool2d", graded=(CV + "test_maxpool2d_course_example", CV + "test_maxpool2d_matches_torch"),
               source="CS231n conv_layers.py (mirjunaid26)"),
    Convention("tp3", "conv2d_multi written with conv2d, channel by channel", "tp3/conv.py",
               "x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)\n"
               "return np.stack([sum(conv2d(x[c], w[f, c], stride, padding) for c in range(len(x))) + b[f] "
               "for f in range(len(w))])", function="conv2d_multi", graded=(CV + "test_conv2d_multi_matches_torch",),
               source="the docstring's own formula"),
    Convention("tp3", "DigitCNN returning log-probabilities (log_softmax)", "tp3/models.py",
               "    def forward(self, x):\n        return torch.log_softmax(self.layers(x), dim=1)\n\n\ndef train_digits",
               old="    def forward(self, x):\n        ### BEGIN SOLUTION\n        return self.layers(x)\n        ### END SOLUTION\n\n\ndef train_digits",
               graded=(MO + "test_digit_cnn_is_convolutional", MO + "test_train_digits_accuracy_on_held_out_digits"),
               source="pytorch/examples' mnist Net, cccbook/py2cs"),
    Convention("tp3", "train_digits seeding the global generator (torch.manual_seed(seed), shuffle=True)", "tp3/models.py",
               "torch.manual_seed(seed)\nmodel.to(device())\nmodel.train()\n"
               "optimizer = torch.optim.Adam(model.parameters(), lr=lr)\nloss_fn = nn.CrossEntropyLoss()\n"
               "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64, shuffle=True)\n"
               "for _ in range(epochs):\n    for X_batch, y_batch in loader:\n"
               "        X_batch, y_batch = X_batch.to(device()), y_batch.to(device())\n        optimizer.zero_grad()\n"
               "        loss_fn(model(X_batch), y_batch).backward()\n        optimizer.step()\nreturn model",
               function="train_digits", graded=(MO + "test_train_digits_is_the_loop_asked",),
               source="tutorials' torch.manual_seed + DataLoader(shuffle=True)"),
    # TP4
    Convention("tp4", "train_autoencoder's history as the mean of the batch losses", "tp4/autoencoder.py",
               "total += loss.item()\n        history.append(total / len(torch.arange(len(X)).split(batch_size)))",
               old="total += loss.item() * len(batch)\n        history.append(total / len(X))",
               graded=(AE + "test_train_autoencoder_history_is_the_mean_loss",),
               source="tutorials' total / len(loader) (the issue's example)"),
    Convention("tp4", "train_vae's history as the mean of the batch losses", "tp4/vae.py",
               "total += loss.item()\n        history.append(total / len(torch.arange(len(X)).split(batch_size)))",
               old="total += loss.item() * len(x)\n        history.append(total / len(X))",
               graded=(VAE + "test_train_vae_uses_its_seed", VAE + "test_vae_trains_on_digits"),
               source="tutorials' total / len(loader)"),
    Convention("tp4", "train_gan seeding the global generator (torch.manual_seed(seed))", "tp4/gan.py",
               "torch.manual_seed(seed)\nhistory = []\nfor _ in range(steps):\n"
               "    batch = real[torch.randint(len(real), (batch_size,))]\n"
               "    history.append(train_step(G, D, opt_g, opt_d, batch, torch.randn((batch_size, latent_dim))))\n"
               "return history", function="train_gan",
               graded=(GAN + "test_train_gan_uses_its_seed", GAN + "test_gan_learns_a_gaussian"),
               source="tutorials' torch.manual_seed"),
]
