"""TP2 — Réseaux de neurones profonds : coûts, couches, optimiseurs, données, réseaux en numpy."""
