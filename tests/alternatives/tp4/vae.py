import torch
from torch import nn


class VAE(nn.Module):
    def __init__(self, input_dim=784, latent_dim=2, hidden=(256,)):
        super().__init__()
        widths = [input_dim, *hidden]
        self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.mu = nn.Linear(widths[-1], latent_dim)
        self.logvar = nn.Linear(widths[-1], latent_dim)
        back = [latent_dim, *reversed(hidden)]
        layers = []
        for a, b in zip(back, back[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*layers, nn.Linear(back[-1], input_dim), nn.Sigmoid())

    def encode(self, x):
        for layer in self.hidden_layers:
            x = torch.relu(layer(x))
        return self.mu(x), self.logvar(x)

    def reparameterize(self, mu, logvar, eps):
        std = logvar.mul(0.5).exp()
        return eps.mul(std).add(mu)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x, eps):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def vae_loss(recon, x, mu, logvar):
    bce = -(x * torch.log(recon.clamp_min(1e-12)) + (1 - x) * torch.log((1 - recon).clamp_min(1e-12))).sum()
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()
    return (bce + kl) / x.shape[0]


def train_vae(model, X, epochs, lr, batch_size, seed):
    torch.manual_seed(seed)
    loader = torch.utils.data.DataLoader(X, batch_size=batch_size, shuffle=True)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for x in loader:
            mu, logvar = model.encode(x)
            recon = model.decode(model.reparameterize(mu, logvar, torch.randn_like(mu)))
            loss = vae_loss(recon, x, mu, logvar)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * x.shape[0]
        history.append(total / X.shape[0])
    return history


def reconstruct(model, X, eps):
    model.eval()
    with torch.no_grad():
        mu, logvar = model.encode(X)
        return [model.decode(model.reparameterize(mu, logvar, eps)), mu, logvar]


def generate(model, z):
    model.eval()
    with torch.inference_mode():
        return model.decode(z)
