"""TP4 — Auto-encodeurs, auto-encodeur variationnel (VAE) et réseaux antagonistes (GAN), en PyTorch."""
