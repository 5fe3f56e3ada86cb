import torch
from torch import nn


def binary_classifier(n):
    model = nn.Sequential()
    model.add_module("hidden1", nn.Linear(n, 16))
    model.add_module("relu1", nn.ReLU())
    model.add_module("hidden2", nn.Linear(16, 4))
    model.add_module("relu2", nn.ReLU())
    model.add_module("out", nn.Linear(4, 1))
    model.add_module("proba", nn.Sigmoid())
    return model


def regressor(n):
    layers = [nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 1)]
    return nn.Sequential(*layers)


def multiclass_classifier(n, n_classes=3):
    widths = [n, 16, 4]
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(4, n_classes))


def course_example_model(n=20):
    return nn.Sequential(
        nn.Linear(in_features=n, out_features=128), nn.ReLU(),
        nn.Linear(in_features=128, out_features=64), nn.ReLU(),
        nn.Linear(in_features=64, out_features=1),
    )


def fit(model, loader, loss_fn, optimizer, epochs):
    model.to(device())
    history = []
    epoch = 0
    while epoch < epochs:
        model.train()
        sums = torch.zeros(2)
        for batch_x, batch_y in loader:
            batch_x, batch_y = batch_x.to(device()), batch_y.to(device())
            out = model(batch_x)
            out = out.reshape(batch_y.shape) if out.shape[-1] == 1 and batch_y.dim() == 1 else out
            loss = loss_fn(out, batch_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums += torch.tensor([loss.item() * batch_x.shape[0], batch_x.shape[0]])
        history.append(float(sums[0] / sums[1]))
        epoch += 1
    return history


def evaluate(model, loader, metric):
    model.to(device()).eval()
    values, sizes = [], []
    with torch.no_grad():
        for batch_x, batch_y in loader:
            out = model(batch_x.to(device()))
            batch_y = batch_y.to(device())
            if out.shape[-1] == 1 and batch_y.dim() == 1:
                out = out.reshape(batch_y.shape)
            values.append(float(metric(out, batch_y)))
            sizes.append(len(batch_x))
    return sum(v * s for v, s in zip(values, sizes)) / sum(sizes)
