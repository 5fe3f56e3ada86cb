"""Realistic mistakes in TP3: the convolution, its backward pass, pooling, sizes and counts, the CNNs
and the training loop."""
from functools import partial

from tests.mistakes import Mistake

CV, SZ, MO = "test_conv.py::", "test_sizes.py::", "test_models.py::"
CONV, MODELS = "tp3/conv.py", "tp3/models.py"
CHEAP = SZ + "test_mlp_image_params_course_values"  # a hidden test that never imports torch in the worker
function = partial(Mistake.of_function, "tp3")
text = partial(Mistake.of_text, "tp3")
CONV2D_TAIL = "windows = sliding_window_view(x, k.shape)[::stride, ::stride]\nreturn np.einsum('ijab,ab->ij', windows, k)"
POOL = "windows = sliding_window_view(np.asarray(x, dtype=float), (size, size))"
SIZES = "sizes = [side * side, side * side // 2, side * side // 4, 1]\n"
MLP_SUM = "return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))"

MISTAKES = [
    # conv.py: conv2d, conv2d_multi, conv2d_backward
    function("conv2d ignoring the stride", CONV, "conv2d",
             "x = np.pad(np.asarray(x, dtype=float), padding)\nk = np.asarray(k, dtype=float)\n"
             "windows = sliding_window_view(x, k.shape)\nreturn np.einsum('ijab,ab->ij', windows, k)",
             [CV + "test_conv2d_course_examples"], CHEAP, ["test_convolution_exemples_du_cours"]),
    function("conv2d padding 2p zeros on each side", CONV, "conv2d",
             "x = np.pad(np.asarray(x, dtype=float), 2 * padding)\nk = np.asarray(k, dtype=float)\n" + CONV2D_TAIL,
             [CV + "test_conv2d_course_examples"], CHEAP, ["test_convolution_exemples_du_cours"]),
    function("conv2d with the kernel transposed", CONV, "conv2d",
             "x = np.pad(np.asarray(x, dtype=float), padding)\nk = np.asarray(k, dtype=float).T\n" + CONV2D_TAIL,
             [CV + "test_conv2d_matches_torch"], CV + "test_conv2d_course_examples", ["test_convolution_comme_torch"]),
    text("conv2d_multi without the bias", CONV, "    return out + np.asarray(b, dtype=float)[:, None, None]",
         "    return out", [CV + "test_conv2d_multi_matches_torch"], CHEAP, ["test_convolution_multi_canaux"]),
    text("conv2d_multi averaging the channels instead of summing them", CONV,
         "    return out + np.asarray(b, dtype=float)[:, None, None]",
         "    return out / x.shape[0] + np.asarray(b, dtype=float)[:, None, None]",
         [CV + "test_conv2d_multi_matches_torch"], CHEAP, ["test_convolution_multi_canaux"]),
    text("conv2d_multi ignoring the padding", CONV, "x = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), "
         "(padding, padding)))", "x = np.asarray(x, dtype=float)",
         [CV + "test_conv2d_multi_matches_torch"], CHEAP, ["test_convolution_multi_canaux"]),
    text("conv2d_backward returning dx with the padding's border", CONV,
         "    return dx_pad[padding:padding + height, padding:padding + width], dk", "    return dx_pad, dk",
         [CV + "test_conv2d_backward_gradient_check"], CHEAP, ["test_retropropagation_de_la_convolution"]),
    text("conv2d_backward spreading dout with the flipped kernel", CONV,
         "+= k[a, b] * dout", "+= k[k.shape[0] - 1 - a, k.shape[1] - 1 - b] * dout",
         [CV + "test_conv2d_backward_gradient_check"], CHEAP, ["test_retropropagation_de_la_convolution"]),
    text("conv2d_backward's dk from the image without its padding", CONV,
         "windows = sliding_window_view(x_pad, k.shape)[::stride, ::stride]  # (H′, W′, kh, kw)\n    dk",
         "windows = sliding_window_view(np.asarray(x, dtype=float), k.shape)[::stride, ::stride]\n    dk",
         [CV + "test_conv2d_backward_gradient_check"], CHEAP, ["test_retropropagation_de_la_convolution"]),
    # conv.py: maxpool2d, sizes, counts
    function("max-pooling ignoring the stride", CONV, "maxpool2d", POOL + "\nreturn windows.max(axis=(2, 3))",
             [CV + "test_maxpool2d_course_example"], CHEAP, ["test_max_pooling"]),
    function("max-pooling with windows of `stride` cells", CONV, "maxpool2d",
             "windows = sliding_window_view(np.asarray(x, dtype=float), (stride, stride))[::stride, ::stride]\n"
             "return windows.max(axis=(2, 3))",
             [CV + "test_maxpool2d_matches_torch"], CV + "test_maxpool2d_course_example", ["test_max_pooling"]),
    function("output_size with the padding counted once", CONV, "output_size", "return (w - k + padding) // stride + 1",
             [SZ + "test_output_size_matches_torch"], CHEAP, ["test_taille_de_sortie"]),
    function("output_size with a true division", CONV, "output_size", "return (w - k + 2 * padding) / stride + 1",
             [SZ + "test_output_size_matches_torch"], CHEAP, ["test_taille_de_sortie"]),
    function("output_size rounding up", CONV, "output_size", "return -(-(w - k + 2 * padding) // stride) + 1",
             [SZ + "test_output_size_matches_torch"], CHEAP, ["test_taille_de_sortie"]),
    function("conv_params with a bias per input channel", CONV, "conv_params",
             "return (kx * ky + 1) * in_channels * filters",
             [SZ + "test_conv_params_matches_torch"], CHEAP, ["test_nombre_de_parametres_d_une_convolution"]),
    function("conv_params forgetting the input channels", CONV, "conv_params", "return (kx * ky + 1) * filters",
             [SZ + "test_conv_params_matches_torch"], CHEAP, ["test_nombre_de_parametres_d_une_convolution"]),
    function("mlp_image_params without the biases", CONV, "mlp_image_params",
             SIZES + "return sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))",
             [SZ + "test_mlp_image_params_course_values"], SZ + "test_output_size_matches_torch",
             ["test_nombre_de_parametres_du_reseau_dense"]),
    function("mlp_image_params with side / 2 hidden units instead of side² / 2", CONV, "mlp_image_params",
             "sizes = [side * side, side // 2, side // 4, 1]\n" + MLP_SUM,
             [SZ + "test_mlp_image_params_course_values"], SZ + "test_output_size_matches_torch",
             ["test_nombre_de_parametres_du_reseau_dense"]),
    function("mlp_image_params in 32-bit numpy integers (overflow)", CONV, "mlp_image_params",
             "sizes = np.array([side * side, side * side // 2, side * side // 4, 1], dtype=np.int32)\n"
             "return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))",
             [SZ + "test_mlp_image_params_course_values"], SZ + "test_output_size_matches_torch",
             ["test_nombre_de_parametres_du_reseau_dense"]),
    # models.py
    text("regression CNN's second convolution without stride 2", MODELS,
         "nn.Conv2d(8, filters, kernel_size=3, stride=2), nn.ReLU(),     # (N, filters, 3, 3)\n"
         "            nn.Flatten(),\n            nn.Linear(3 * 3 * filters, hidden[0])",
         "nn.Conv2d(8, filters, kernel_size=3), nn.ReLU(),\n            nn.Flatten(),\n"
         "            nn.Linear(5 * 5 * filters, hidden[0])",
         [MO + "test_regression_cnn_has_the_course_shapes"], CHEAP, ["test_cnn_de_regression_formes"]),
    text("regression CNN without ReLU after its convolutions", MODELS,
         "nn.Conv2d(3, 8, kernel_size=3), nn.ReLU(),                     # (N, 8, 7, 7)\n"
         "            nn.Conv2d(8, filters, kernel_size=3, stride=2), nn.ReLU(),",
         "nn.Conv2d(3, 8, kernel_size=3),\n            nn.Conv2d(8, filters, kernel_size=3, stride=2),",
         [MO + "test_regression_cnn_outputs_with_given_weights"], CHEAP, ["test_cnn_de_regression_avec_des_poids_donnes"]),
    text("regression CNN with a ReLU on its output", MODELS, "nn.Linear(hidden[1], 1))",
         "nn.Linear(hidden[1], 1), nn.ReLU())",
         [MO + "test_regression_cnn_outputs_with_given_weights"], CHEAP, ["test_cnn_de_regression_avec_des_poids_donnes"]),
    text("regression CNN ignoring its `hidden` argument", MODELS,
         "            nn.Linear(3 * 3 * filters, hidden[0]), nn.ReLU(),\n            nn.Linear(hidden[0], hidden[1]), "
         "nn.ReLU(),\n            nn.Linear(hidden[1], 1))",
         "            nn.Linear(3 * 3 * filters, 64), nn.ReLU(),\n            nn.Linear(64, 32), nn.ReLU(),\n"
         "            nn.Linear(32, 1))",
         [MO + "test_regression_cnn_has_the_course_shapes"], CHEAP, ["test_cnn_de_regression_formes"]),
    text("digits CNN ending with a softmax", MODELS, "nn.Linear(16 * 7 * 7, 10))", "nn.Linear(16 * 7 * 7, 10), nn.Softmax(dim=1))",
         [MO + "test_train_digits_accuracy_on_held_out_digits"], CHEAP, ["test_cnn_des_chiffres"]),
    text("digits \"CNN\" without a convolution", MODELS,
         "nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 8, 14, 14)\n"
         "            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 7, 7)\n"
         "            nn.Flatten(),\n            nn.Linear(16 * 7 * 7, 10))",
         "nn.Flatten(), nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 10))",
         [MO + "test_digit_cnn_is_convolutional"], CHEAP, ["test_cnn_des_chiffres"]),
    text("train_digits without zero_grad", MODELS, "            optimizer.zero_grad()\n", "",
         [MO + "test_train_digits_accuracy_on_held_out_digits"], CHEAP,
         ["test_train_digits_observe_par_un_espion"]),
    text("train_digits never steps the optimiser", MODELS, "            optimizer.step()\n", "",
         [MO + "test_train_digits_accuracy_on_held_out_digits"], CHEAP,
         ["test_train_digits_observe_par_un_espion"]),
    text("train_digits with SGD instead of Adam", MODELS, "torch.optim.Adam(model.parameters(), lr=lr)",
         "torch.optim.SGD(model.parameters(), lr=lr)",
         [MO + "test_train_digits_accuracy_on_held_out_digits"], CHEAP,
         ["test_train_digits_observe_par_un_espion"]),
    text("train_digits training a copy of the model", MODELS, "    torch.manual_seed(seed)\n    model.to(device())",
         "    torch.manual_seed(seed)\n    model = __import__('copy').deepcopy(model)  # import copy; copy.deepcopy\n"
         "    model.to(device())",
         [MO + "test_train_digits_accuracy_on_held_out_digits"], CHEAP,
         ["test_train_digits_observe_par_un_espion"]),
    text("train_digits doing one epoch whatever `epochs`", MODELS, "    for _ in range(epochs):\n", "    for _ in range(1):\n",
         [MO + "test_train_digits_accuracy_on_held_out_digits"], CHEAP,
         ["test_train_digits_observe_par_un_espion"]),
    # conventions met in real code (benchmarks/RESULTS.md) that the docstrings rule out, and a bug in a called function
    Mistake.calling("tp3", "conv2d padding one side only, conv2d_multi written with conv2d", CONV, "conv2d",
                    "x = np.pad(np.asarray(x, dtype=float), ((padding, 0), (padding, 0)))\nk = np.asarray(k, dtype=float)\n"
                    + CONV2D_TAIL,
                    [("conv2d_multi", "x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)\n"
                                      "return np.stack([sum(conv2d(x[c], w[f, c], stride, padding) for c in range(len(x)))"
                                      " + b[f] for f in range(len(w))])")],
                    [CV + "test_conv2d_course_examples", CV + "test_conv2d_matches_torch"],
                    CV + "test_conv2d_multi_matches_torch", ["test_convolution_comme_torch"]),  # multi calls conv2d
    text("train_digits with F.nll_loss on the model's logits (pytorch/examples' loop)", MODELS,
         "loss_fn = nn.CrossEntropyLoss()", "loss_fn = nn.NLLLoss()", [MO + "test_train_digits_is_the_loop_asked"],
         CHEAP, ["test_train_digits_observe_par_un_espion"]),
    function("train_digits shuffling with the global generator, unseeded", MODELS, "train_digits",
             "model.to(device())\nmodel.train()\noptimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
             "loss_fn = nn.CrossEntropyLoss()\n"
             "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64, shuffle=True)\n"
             "for _ in range(epochs):\n    for X_batch, y_batch in loader:\n"
             "        X_batch, y_batch = X_batch.to(device()), y_batch.to(device())\n        optimizer.zero_grad()\n"
             "        loss_fn(model(X_batch), y_batch).backward()\n        optimizer.step()\nreturn model",
             [MO + "test_train_digits_is_the_loop_asked"], CHEAP, ["test_train_digits_observe_par_un_espion"]),
]
