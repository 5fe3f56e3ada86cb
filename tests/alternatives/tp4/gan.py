import torch
from torch import nn
from torch.nn import functional as F


class Generator(nn.Module):
    def __init__(self, latent_dim, out_dim, hidden=(128,)):
        super().__init__()
        widths = [latent_dim, *hidden, out_dim]
        self.layers = nn.ModuleList([nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1)])

    def forward(self, z):
        for layer in self.layers[:-1]:
            z = F.relu(layer(z))
        return self.layers[-1](z)


class Discriminator(nn.Module):
    def __init__(self, in_dim, hidden=(128,)):
        super().__init__()
        widths = [in_dim, *hidden]
        self.features = nn.Sequential(*[m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), nn.ReLU())])
        self.out = nn.Linear(widths[-1], 1)

    def forward(self, x):
        return torch.sigmoid(self.out(self.features(x)))


def discriminator_loss(d_real, d_fake):
    return -(torch.log(d_real).mean() + torch.log1p(-d_fake).mean())


def generator_loss(d_fake):
    return -torch.log(d_fake).mean()


def train_step(G, D, opt_g, opt_d, real, z):
    with torch.no_grad():
        fake = G(z)
    D.zero_grad()
    loss_d = discriminator_loss(D(real), D(fake))
    loss_d.backward()
    opt_d.step()
    G.zero_grad()
    loss_g = generator_loss(D(G(z)))
    loss_g.backward()
    opt_g.step()
    return float(loss_d), float(loss_g)


def train_gan(G, D, opt_g, opt_d, real, latent_dim, steps, batch_size, seed):
    torch.manual_seed(seed)
    losses = []
    for step in range(steps):
        index = torch.randint(0, real.shape[0], (batch_size,))
        losses.append(train_step(G, D, opt_g, opt_d, real[index], torch.randn(batch_size, latent_dim)))
    return losses
