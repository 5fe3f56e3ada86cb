"""Outils des tests publics : comparer des tableaux et dire « attendu … obtenu … » en clair.

Ce fichier n'est pas un test : les fichiers `test_tpN.py` l'importent. Les valeurs montrées dans
les messages sont celles des données publiques de ces tests.
"""
import numpy as np


def montre(valeur):
    """Une valeur (nombre, tableau, tenseur) en texte court, arrondie à 4 chiffres."""
    if hasattr(valeur, "detach"):  # un tenseur PyTorch
        valeur = valeur.detach().cpu().numpy()
    try:
        tableau = np.asarray(valeur, dtype=float)
    except (TypeError, ValueError):
        return repr(valeur)[:150]
    texte = np.array2string(tableau, precision=4, threshold=12, edgeitems=3, separator=", ",
                            max_line_width=10_000, suppress_small=True)
    texte = " ".join(texte.split())
    return texte if len(texte) <= 150 else texte[:147] + "…"


def en_tableau(valeur, quoi, forme=None):
    """`valeur` en tableau numpy de floats, avec la forme `forme` si elle est donnée."""
    if hasattr(valeur, "detach"):
        valeur = valeur.detach().cpu().numpy()
    try:
        tableau = np.asarray(valeur, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{quoi} : un tableau de nombres est attendu, obtenu {montre(valeur)}") from None
    if forme is not None:
        assert tableau.shape == tuple(forme), f"{quoi} : forme attendue {tuple(forme)}, obtenue {tableau.shape}"
    return tableau


def epsilon(valeur):
    """La précision de ce que votre code a renvoyé : celle du float32 pour un tableau (ou un
    tenseur) float32, celle du float64 sinon. Les tests comparent à cette précision-là."""
    dtype = getattr(valeur, "dtype", None)
    if str(dtype).startswith("torch."):  # un tenseur PyTorch
        return 2.0 ** -23 if str(dtype) in ("torch.float32", "torch.float16", "torch.bfloat16") else 2.0 ** -52
    if dtype is not None and np.issubdtype(dtype, np.floating):
        return float(np.finfo(dtype).eps)
    return float(np.finfo(np.float64).eps)


def ecart(obtenu, attendu):
    """Où et de combien deux tableaux de même forme diffèrent le plus, et le rapport s'il est constant."""
    difference = np.abs(obtenu - attendu)
    if not difference.size:
        return ""
    ou = np.unravel_index(int(np.argmax(difference)), difference.shape)
    texte = f"écart maximal {difference[ou]:.3g}" + (f" en position {tuple(int(i) for i in ou)}" if difference.ndim else "")
    utiles = np.abs(attendu) > 1e-8 * max(1.0, float(np.max(np.abs(attendu))))
    if utiles.any():
        rapports = obtenu[utiles] / attendu[utiles]
        if np.ptp(rapports) < 1e-3 * max(1.0, abs(float(rapports.mean()))) and abs(float(rapports.mean()) - 1) > 1e-3:
            texte += f", votre résultat vaut {float(rapports.mean()):.4g} fois l'attendu"
    return texte


def un_nombre(valeur, quoi):
    """Un résultat qui doit être un seul nombre : un float, un nombre numpy ou un tableau d'un élément."""
    tableau = en_tableau(valeur, quoi)
    assert tableau.size == 1, f"{quoi} : un seul nombre attendu, obtenu {tableau.size} valeurs ({montre(tableau)})"
    return float(tableau.reshape(()))


def verifie_proche(obtenu, attendu, quoi, indice="", rtol=1e-6, atol=1e-9):
    """Échoue si `obtenu` n'a pas la forme de `attendu` ou s'en écarte ; `indice` rappelle la règle.
    Un résultat en float32 est comparé à la précision du float32 (quelques 1e−5 en relatif)."""
    eps = epsilon(obtenu)
    attendu = en_tableau(attendu, "valeur attendue")
    obtenu = en_tableau(obtenu, quoi, attendu.shape)
    if eps > np.finfo(np.float64).eps:
        echelle = max(float(np.max(np.abs(attendu))) if attendu.size else 0.0, 1e-12)
        rtol, atol = max(rtol, 256 * eps), max(atol, 256 * eps * echelle)
    ok = np.allclose(obtenu, attendu, rtol=rtol, atol=atol) and not np.isnan(obtenu).any()
    if not ok:
        texte = f"{quoi} : attendu {montre(attendu)}, obtenu {montre(obtenu)}"
        if not np.isnan(obtenu).any():
            texte += f" ({ecart(obtenu, attendu)})"
        raise AssertionError(texte + (f". {indice}" if indice else ""))


def gradient_numerique(f, x, h=1e-5):
    """Dérivées de la fonction scalaire f en x par différences centrées : (f(x + h) − f(x − h)) / 2h."""
    x = np.array(x, dtype=float)
    gradient = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        garde = x[i]
        x[i] = garde + h
        plus = f(x)
        x[i] = garde - h
        moins = f(x)
        x[i] = garde
        gradient[i] = (plus - moins) / (2 * h)
    return gradient


def sigmoide(z):
    """σ(z), écrite avec tanh (σ(z) = (1 + tanh(z / 2)) / 2) : la référence des tests publics."""
    return 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float) / 2.0))


def charge_poids(modele, poids):
    """Copie les tableaux `poids` dans les paramètres de `modele`, dans l'ordre de model.parameters()."""
    import torch

    parametres = list(modele.parameters())
    formes = [tuple(p.shape) for p in parametres]
    attendues = [tuple(np.shape(w)) for w in poids]
    assert formes == attendues, (f"paramètres du modèle, dans l'ordre de model.parameters() : formes attendues "
                                 f"{attendues}, obtenues {formes}")
    with torch.no_grad():
        for parametre, valeur in zip(parametres, poids):
            parametre.copy_(torch.as_tensor(np.asarray(valeur), dtype=parametre.dtype))
    return modele


def nombre_de_parametres(modele):
    return sum(p.numel() for p in modele.parameters())
