"""TP1 — Réseaux de neurones et descente de gradient (numpy uniquement)."""
