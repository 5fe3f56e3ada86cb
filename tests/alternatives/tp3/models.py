"""TP3's models written differently: named layers and an explicit forward instead of
nn.Sequential, a single-convolution DigitCNN, and a training loop that draws its own batches."""
import torch
import torch.nn.functional as F
from torch import nn


class RegressionCNN(nn.Module):
    def __init__(self, filters=16, hidden=(64, 32)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, (3, 3), stride=1, padding=0)
        self.conv2 = nn.Conv2d(8, filters, (3, 3), stride=2, padding=0)
        self.dense1 = nn.Linear(filters * 3 * 3, hidden[0])
        self.dense2 = nn.Linear(hidden[0], hidden[1])
        self.out = nn.Linear(hidden[1], 1)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = x.reshape(len(x), -1)
        return self.out(F.relu(self.dense2(F.relu(self.dense1(x)))))


class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 5)  # 28 → 24, pooled to 12
        self.fc = nn.Linear(16 * 12 * 12, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.max_pool2d(torch.relu(self.conv(x)), 2), 1))


def train_digits(model, X, y, epochs, lr, seed):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), 64):
            batch = order[start:start + 64]
            loss = F.cross_entropy(model(X[batch].to(device)), y[batch].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
