"""The oral check's questions: the course's notions, and what to ask about one line of code.

Written from the notions of the course's slides (shared/course): perceptron and its update rule,
activations and their derivatives, losses, backpropagation (chain rule), gradient descent and its
step, mini-batches and the bias/variance trade-off, optimisers, dropout, batch normalisation,
convolution (output size, padding, stride, parameter count), pooling, auto-encoders, VAE, GAN.
`notion` picks the notion of a function from its name and module; `line_question` finds, in the
student's own lines, the one a question can point at (an axis, an average, a sign, a transpose, a
stabilising constant…). Every sentence is the grader's own, in French, for the instructor.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Notion:
    key: str  # "backprop"
    label: str  # "rétropropagation", shown on the sheet
    names: re.Pattern[str]  # matched against "module.function" in lower case
    ask: str  # the question about the whole function
    follow_ups: tuple[str, ...]  # what to ask next; one is drawn per question


def _n(key: str, label: str, names: str, ask: str, *follow_ups: str) -> Notion:
    return Notion(key, label, re.compile(names), ask, follow_ups)


# In order: the first notion whose pattern matches wins (vae before auto-encoder, batchnorm before mini-batches).
NOTIONS = (
    _n("vae", "auto-encodeur variationnel (VAE)", r"vae|reparam|kl_|logvar|generate",
       "Pourquoi le tirage passe-t-il par μ + σ·ε (reparamétrisation) ? Que deviendrait le gradient sans cette écriture ?",
       "Que mesurent les deux termes de la perte du VAE ? Que se passe-t-il si l'on retire le terme de Kullback-Leibler ?",
       "Comment génère-t-on une nouvelle image une fois le VAE entraîné ? D'où vient z ?"),
    _n("gan", "réseaux antagonistes (GAN)", r"gan|generator|discriminator|train_step",
       "Quelle erreur ce code propage-t-il, et vers quels paramètres ? Pourquoi le générateur et le discriminateur "
       "ne sont-ils pas mis à jour en même temps ?",
       "Quelles étiquettes le discriminateur reçoit-il pour les données générées ? Et quand on entraîne le générateur ?",
       "D'où vient l'espace latent z du générateur, et que se passerait-il s'il était constant ?"),
    _n("autoencoder", "auto-encodeurs", r"autoencoder|encode|decode|reconstruct|anomal|threshold",
       "Que calcule l'encodeur, et pourquoi l'espace latent est-il plus petit que l'entrée ?",
       "Comment ce code décide-t-il qu'un exemple est une anomalie ? Sur quelles données le seuil est-il choisi, et pourquoi ?",
       "Que renverrait un auto-encodeur dont l'espace latent aurait la taille de l'entrée ?"),
    _n("dropout", "dropout", r"dropout",
       "Que fait cette couche pendant l'apprentissage, et au moment de la prédiction ? Pourquoi divise-t-on par la "
       "probabilité de garder un neurone ?",
       "Pourquoi utilise-t-on rarement le dropout juste après une convolution (cours) ?",
       "Par où passe le gradient en rétropropagation à travers cette couche ?"),
    _n("batchnorm", "normalisation par lots (batch norm)", r"batchnorm|batch_norm|norm",
       "Quelles statistiques ce code calcule-t-il, et sur quel axe ? Que fait la couche au moment de la prédiction ?",
       "Que se passe-t-il avec un lot d'un seul exemple ?",
       "À quoi servent γ et β, appris après la normalisation ?"),
    _n("optimiser", "optimiseurs", r"optim|sgd|rmsprop|adam|momentum",
       "Quelle règle de mise à jour cet optimiseur applique-t-il ? Que mémorise-t-il d'un pas à l'autre ?",
       "Pourquoi Adam corrige-t-il le biais de ses moyennes au début de l'apprentissage ?",
       "Que change le taux d'apprentissage pour RMSprop par rapport à SGD ?"),
    _n("pooling", "pooling", r"pool",
       "Que fait ce pooling, et combien de paramètres apprend-il ? Par où passe le gradient en rétropropagation ?",
       "Quelle taille a la sortie d'un max-pooling 2 × 2 de pas 2 sur l'entrée 5 × 5 du cours ?"),
    _n("convolution", "convolution (padding, pas)", r"conv|output_size|padding|stride|kernel",
       "Quelle taille a la sortie pour une entrée H × W, un noyau k, un padding p et un pas s ? Montrez où le code la calcule.",
       "Combien de paramètres a une couche convolutive à I plans d'entrée et F plans de sortie (cours : (kx × ky × I + 1) × F) ?",
       "Que change un padding de 1 sur l'exemple 5 × 5 du cours ? Et un pas de 2 ?"),
    _n("parameters", "nombre de paramètres", r"n_param|params|count",
       "Comment ce code compte-t-il les paramètres ? Retrouvez le total du cours pour une image 24 × 24 (207 937).",
       "Pourquoi ajoute-t-on h paramètres par couche de h neurones ?"),
    _n("validation", "généralisation et validation", r"split|kfold|cross|polynomial|evaluate",
       "Pourquoi séparer les données ainsi ? Que mesure-t-on sur la partie de test, et pourquoi jamais sur celle d'apprentissage ?",
       "Que montre une validation croisée en k parties que ne montre pas une seule séparation ?",
       "Comment reconnaît-on le surapprentissage sur ces mesures ?"),
    _n("minibatch", "mini-lots (batchs)", r"batch",
       "Comment ce code découpe-t-il les données en lots ? Pourquoi mélanger à chaque époque ?",
       "Quel compromis biais/variance fait-on entre un lot d'un exemple et un lot de toute la base (cours) ?"),
    _n("perceptron", "perceptron", r"perceptron",
       "Quelle règle applique cette fonction ? Écrivez-la avec les notations du cours (w ← w + α (y − f(x)) x) et "
       "dites ce qu'elle fait quand l'exemple est déjà bien classé.",
       "Que se passe-t-il si les données ne sont pas linéairement séparables ?",
       "À quoi sert le biais (le seuil) du perceptron ?"),
    _n("activation", "fonctions d'activation", r"sigmoid|tanh|relu|softmax|activation|prime",
       "Que calcule cette fonction, et quelle est sa dérivée ? Où la dérivée sert-elle pendant l'apprentissage ?",
       "Pourquoi a-t-on besoin d'une non-linéarité entre deux couches ? Que deviendrait le réseau sans ?",
       "Pour quelles entrées le gradient de cette activation devient-il presque nul, et quel effet cela a-t-il ?"),
    _n("loss", "fonctions de perte", r"mse|mae|bce|cce|loss|entropy|error",
       "Quelle perte calcule ce code ? Écrivez sa formule et dites pour quel type de tâche on la choisit.",
       "Que vaut son gradient par rapport à la prédiction ? Vérifiez-le sur un exemple à un seul élément.",
       "Pourquoi une moyenne sur les exemples plutôt qu'une somme ?"),
    _n("backprop", "rétropropagation", r"backward|(?<![a-z])grad(?![a-z])",
       "Expliquez comment le gradient passe d'une couche à la précédente (dérivation des fonctions composées) : "
       "quelle ligne calcule quel terme ?",
       "Quelles formes ont les gradients des poids et des biais ? Pourquoi sont-elles celles des paramètres ?",
       "Comment vérifieriez-vous ce gradient numériquement ?"),
    _n("descent", "descente de gradient", r"descent|train|fit|step|update",
       "À chaque itération, que met à jour ce code, et dans quel sens ? Quel rôle joue le pas d'apprentissage ?",
       "Que se passe-t-il avec un pas d'apprentissage dix fois plus grand ? Dix fois plus petit ?",
       "Quand la descente peut-elle s'arrêter dans un minimum local, et qu'y peut-on ?"),
    _n("network", "architecture du réseau", r"network|model|classifier|regressor|forward|cnn|mlp|init|predict|device",
       "Que construit ou calcule ce code : quelles couches, de quelles tailles, avec quelles activations, et quelles "
       "formes de tenseurs ?",
       "Pourquoi pas d'activation à la sortie d'un réseau de régression ?",
       "Combien de paramètres a ce réseau ? Comment le vérifier ?"),
)
DEFAULT = _n("code", "lecture du code", r".",
             "Expliquez ce que fait cette fonction, ligne par ligne, avec les formes de ses entrées et de sa sortie.",
             "Comment l'avez-vous testée ? Sur quel exemple feriez-vous le calcul à la main ?")

# What a question can point at in one line: (pattern, question with {n} the line and {code} the line).
LINE_QUESTIONS = (
    (re.compile(r"\baxis\s*=\s*(-?\d+|\(.*?\))"), "Ligne {n} : pourquoi cet axe ({match}) ? Que calculerait la même ligne "
                                                  "sur l'autre axe, et quelle forme aurait le résultat ?"),
    (re.compile(r"\bdim\s*=\s*(-?\d+)"), "Ligne {n} : pourquoi cette dimension ({match}) ? Quelle forme a le résultat ?"),
    (re.compile(r"keepdims|keepdim"), "Ligne {n} : à quoi sert keepdims ici ? Que se passerait-il sans ?"),
    (re.compile(r"\b(max|amax)\("), "Ligne {n} : pourquoi ce maximum ? Que se passe-t-il sans, pour de grandes valeurs d'entrée ?"),
    (re.compile(r"\b(eps|epsilon)\b|\b1e-\d+|\bclip\b|\bclamp\b"),
     "Ligne {n} : à quoi sert cette petite constante (ou cette borne) ? Que se passe-t-il si on l'enlève ?"),
    (re.compile(r"zero_grad\("), "Ligne {n} : que se passe-t-il si l'on oublie cet appel ?"),
    (re.compile(r"\.detach\(|no_grad"), "Ligne {n} : pourquoi couper le graphe du calcul ici ? Quels paramètres "
                                        "seraient modifiés sinon ?"),
    (re.compile(r"\.(train|eval)\(\)"), "Ligne {n} : que change ce mode pour le dropout et la batch norm ?"),
    (re.compile(r"-=|=\s*[\w.\[\]]+\s*-\s*[\w.]*\b(lr|alpha|eta|learning_rate|rate|step)"),
     "Ligne {n} : pourquoi ce signe moins ? Que se passerait-il avec un plus ?"),
    (re.compile(r"\.T\b|transpose|swapaxes|permute"), "Ligne {n} : pourquoi cette transposée ? Donnez les formes des "
                                                      "deux opérandes et du résultat."),
    (re.compile(r"\bsum\("), "Ligne {n} : pourquoi une somme ici ? Que donnerait une moyenne, et laquelle des deux "
                               "le cours utilise-t-il pour cette grandeur ?"),
    (re.compile(r"\bmean\(|/\s*(len\(|n\b|m\b|[\w.]*shape\[0\]|batch)"),
     "Ligne {n} : pourquoi une moyenne (ou cette division) plutôt qu'une somme ? Qu'est-ce que cela change pour le "
     "gradient et le choix du pas d'apprentissage ?"),
    (re.compile(r"\b(exp|log)\("), "Ligne {n} : que vaut ce calcul pour une entrée très grande ou très négative ? "
                                   "Le code s'en protège-t-il ?"),
    (re.compile(r"rand|binomial|bernoulli|\bmask\b|shuffle|permutation"),
     "Ligne {n} : que tire-t-on au hasard ici ? Que doit faire ce code au moment de la prédiction ?"),
    (re.compile(r"shape\[0\]|len\("), "Ligne {n} : que vaut cette grandeur ici, et que se passe-t-il avec un lot d'un seul exemple ?"),
    (re.compile(r"^\s*for\b"), "Ligne {n} : que parcourt cette boucle ? Pourrait-on s'en passer (calcul vectorisé), "
                               "et qu'est-ce que cela changerait ?"),
    (re.compile(r"^\s*return\b"), "Ligne {n} : que renvoie la fonction, avec quelle forme, pour une entrée de taille (n, d) ?"),
)


def notion(module: str, name: str) -> Notion:
    """The course notion a function belongs to: the perceptron's and the optimisers' modules are one
    notion each; else from its name first (the catch-all "network" aside), else from module and name."""
    text = f"{module.removesuffix('.py')}.{name}".lower()
    if module.startswith(("perceptron", "optim")):  # every function of these modules is about that notion
        return next(n for n in NOTIONS if n.key == ("perceptron" if module.startswith("perceptron") else "optimiser"))
    by_name = next((n for n in NOTIONS[:-1] if n.names.search(name.lower())), None)
    return by_name or next((n for n in NOTIONS if n.names.search(text)), DEFAULT)


def line_question(lines: list[tuple[int, str]]) -> str | None:
    """A question about the first line (after the `def`) that one of LINE_QUESTIONS can point at."""
    body = [(n, code) for n, code in lines[1:] if code.strip() and not code.strip().startswith("#")]
    for pattern, question in LINE_QUESTIONS:
        for number, code in body:
            found = pattern.search(code)
            if found:
                return question.format(n=number, match=found.group(0).strip())
    return None


def follow_up(chosen: Notion, seed: str) -> str:
    """One of the notion's follow-ups, the same for the same student and function at every run."""
    options = chosen.follow_ups or DEFAULT.follow_ups
    return options[zlib.crc32(seed.encode("utf-8")) % len(options)]
