"""TP3 — Réseaux de neurones convolutifs : la convolution en numpy, puis des CNN en PyTorch."""
