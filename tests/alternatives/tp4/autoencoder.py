import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class AutoEncoder(nn.Module):
    def __init__(self, input_dim=784, latent_dim=32, hidden=(256,)):
        super().__init__()
        widths = [input_dim] + list(hidden) + [latent_dim]
        self.encoder, self.decoder = nn.Sequential(), nn.Sequential()
        for i in range(len(widths) - 1):
            self.encoder.append(nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                self.encoder.append(nn.ReLU())
        widths.reverse()
        for i in range(len(widths) - 1):
            self.decoder.append(nn.Linear(widths[i], widths[i + 1]))
            self.decoder.append(nn.ReLU() if i < len(widths) - 2 else nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        z = self.encode(x)
        return self.decode(z)


def train_autoencoder(model, X, epochs, lr, batch_size, seed, noise_std=0.0):
    g = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X), batch_size=batch_size, shuffle=True, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        model.train()
        seen, running = 0, 0.0
        for (clean,) in loader:
            inputs = clean
            if noise_std:
                inputs = clean + torch.normal(0.0, noise_std, size=clean.shape, generator=g)
            loss = ((model(inputs) - clean) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += float(loss) * clean.shape[0]
            seen += clean.shape[0]
        losses.append(running / seen)
    return losses


def reconstruction_error(model, X):
    model.eval()
    with torch.no_grad():
        return F.mse_loss(model(X), X, reduction="none").mean(dim=1).cpu().numpy()


def fit_threshold(errors, quantile=0.99):
    e = np.sort(np.asarray(errors, dtype=float))
    position = quantile * (len(e) - 1)
    low = int(np.floor(position))
    high = min(low + 1, len(e) - 1)
    return float(e[low] + (position - low) * (e[high] - e[low]))


def detect_anomalies(model, X, threshold):
    return torch.as_tensor(reconstruction_error(model, X)) > threshold
