import torch
from torch import nn


class _MLP(nn.Module):
    def __init__(self, sizes, last=None):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        if last is not None:
            layers.append(last)
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def binary_classifier(n):
    return _MLP([n, 16, 4, 1], nn.Sigmoid())


def regressor(n):
    return _MLP([n, 16, 4, 1])


def multiclass_classifier(n, n_classes=3):
    return _MLP([n, 16, 4, n_classes])


def course_example_model(n=20):
    return _MLP([n, 128, 64, 1])


def fit(model, loader, loss_fn, optimizer, epochs):
    dev = device()
    model = model.to(dev)
    model.train()
    losses = []
    for epoch in range(epochs):
        running, seen = 0.0, 0
        for inputs, targets in loader:
            inputs = inputs.to(dev)
            targets = targets.to(dev)
            optimizer.zero_grad()
            predictions = model(inputs)
            if predictions.ndim == 2 and predictions.size(1) == 1 and targets.ndim == 1:
                predictions = predictions.view(-1)
            loss = loss_fn(predictions, targets)
            loss.backward()
            optimizer.step()
            running += loss.item() * inputs.size(0)
            seen += inputs.size(0)
        losses.append(running / seen)
    return losses


def evaluate(model, loader, metric):
    dev = device()
    model = model.to(dev)
    model.eval()
    weighted, n = 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            predictions = model(inputs.to(dev))
            targets = targets.to(dev)
            if predictions.ndim == 2 and predictions.size(1) == 1 and targets.ndim == 1:
                predictions = predictions.view(-1)
            weighted += metric(predictions, targets).item() * inputs.size(0)
            n += inputs.size(0)
    return weighted / n
