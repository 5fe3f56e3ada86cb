"""Tests publics du TP2 : lancez `python -m pytest tests/` à la racine de votre dépôt.

Ils vérifient les exemples des énoncés et quelques formes. Les tests de notation, cachés,
vont plus loin (gradients par différences finies, comparaison avec PyTorch, données réelles…) :
réussir ceux-ci ne garantit pas la note maximale.
"""
import numpy as np

from tp2 import data, layers, losses, numpy_nets, optim


def test_exemples_des_couts():
    assert np.isclose(losses.bce(np.array([0.5, 0.5]), np.array([0.0, 1.0])), np.log(2))
    assert np.allclose(losses.bce_grad(np.array([0.5, 0.5]), np.array([0.0, 1.0])), [1.0, -1.0])
    assert np.isclose(losses.cce(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])), -np.log(0.75))
    assert np.allclose(losses.softmax_cce_grad(np.zeros((1, 2)), np.array([[0.0, 1.0]])), [[0.5, -0.5]])
    assert np.isclose(losses.mae(np.array([1.0, 3.0]), np.array([0.0, 1.0])), 1.5)
    assert np.isclose(losses.mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])), 2.5)


def test_dropout_exemples():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    out, mask = layers.dropout_forward(x, 0.5, training=False)
    assert np.array_equal(out, x) and np.all(mask == 1)
    out, mask = layers.dropout_forward(x, 0.5, training=True, seed=0)
    assert out.shape == mask.shape == x.shape
    assert np.all((out == 0) | np.isclose(out, 2 * x))
    assert np.allclose(layers.dropout_backward(np.array([1.0, 1.0]), np.array([0.0, 1.0]), 0.5), [0.0, 2.0])


def test_batchnorm_formes_et_normalisation():
    x = np.random.default_rng(0).normal(loc=5.0, scale=3.0, size=(32, 4))
    out, cache, mean, var = layers.batchnorm_forward(x, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4), True)
    assert out.shape == x.shape and mean.shape == var.shape == (4,)
    assert np.allclose(out.mean(axis=0), 0.0) and np.allclose(out.std(axis=0), 1.0, atol=1e-3)
    dx, dgamma, dbeta = layers.batchnorm_backward(np.ones_like(x), cache)
    assert dx.shape == x.shape and dgamma.shape == dbeta.shape == (4,)


def test_sgd_exemple():
    new = optim.SGD(0.1).step([np.array([1.0])], [np.array([2.0])])
    assert len(new) == 1 and np.allclose(new[0], [0.8])


def test_adam_premier_pas():
    # Grâce à la correction du biais, le premier pas d'Adam vaut environ lr · signe(g).
    new = optim.Adam(0.01).step([np.zeros(3)], [np.array([5.0, -0.1, 2.0])])
    assert np.allclose(new[0], [-0.01, 0.01, -0.01])


def test_decoupages_des_donnees():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y)
    assert len(X_train) == len(y_train) == 7 and len(X_test) == len(y_test) == 3
    folds = data.kfold_indices(10, k=5)
    assert len(folds) == 5 and all(len(val) == 2 and len(train) == 8 for train, val in folds)
    assert [len(Xb) for Xb, _ in data.minibatches(X, y, 4, seed=0)] == [4, 4, 2]


def test_formes_des_reseaux_du_cours():
    for sizes, output in (([30, 16, 4, 1], "sigmoid"), ([20, 16, 4, 1], "linear"), ([13, 16, 4, 3], "softmax")):
        net = numpy_nets.Network(sizes, output, seed=0)
        assert [p.shape for p in net.params] == [(sizes[0], 16), (16,), (16, 4), (4,), (4, sizes[-1]), (sizes[-1],)]
        out = net.forward(np.zeros((5, sizes[0])))
        assert out.shape == (5, sizes[-1])
        grads = net.backward(np.zeros((5, sizes[-1])))
        assert [g.shape for g in grads] == [p.shape for p in net.params]


def test_fit_renvoie_un_historique():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = (X[:, :1] > 0).astype(float)
    net = numpy_nets.Network([3, 16, 4, 1], "sigmoid", seed=0)
    history = numpy_nets.fit(net, X, Y, "bce", optim.SGD(0.1, momentum=0.9), batch_size=8, epochs=20, seed=0)
    assert len(history) == 20 and history[-1] < history[0]


def test_modeles_torch_du_cours():
    import torch

    from tp2 import torch_nets

    assert sum(p.numel() for p in torch_nets.course_example_model(20).parameters()) == 11_009
    sortie = torch_nets.binary_classifier(30)(torch.zeros(5, 30))
    assert sortie.shape == (5, 1) and bool(((sortie > 0) & (sortie < 1)).all())
    assert torch_nets.multiclass_classifier(13, 3)(torch.zeros(2, 13)).shape == (2, 3)


def test_biais_et_variance():
    import numpy as np

    from tp2 import data

    x = np.linspace(-1, 1, 12)
    train, test = data.polynomial_errors(x, x ** 2, x, x ** 2, [1, 2])
    assert train[1] < 1e-12 and train[0] > train[1] and len(test) == 2
