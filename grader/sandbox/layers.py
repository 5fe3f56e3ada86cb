"""Which isolation layers this machine gives a worker, and the command line that applies them.

Each layer is detected and reported (`IsolationReport`), never dropped silently: the header of
every grading run prints what was active and what was missing, and why. A layer can also be
switched off on purpose (`without`), to measure its cost or to simulate a poorer machine.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .limits import cgroup_dirs, kill_uid

LAYERS = ("rlimits", "uid", "bwrap", "pid-namespace", "network", "hidden-files", "cgroup", "seccomp", "gpu",
          "templates")
NOT_ISOLATION = ("gpu", "templates")  # reported, but their absence weakens nothing
ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Layer:
    name: str  # one of LAYERS
    active: bool  # whether this run has it
    detail: str  # what it does, or why it is missing (French: students see the header too)


@dataclass(frozen=True)
class IsolationReport:
    layers: tuple[Layer, ...]  # every layer the grader knows, active or not

    @property
    def missing(self) -> list[Layer]:
        return [layer for layer in self.layers if not layer.active and layer.name not in NOT_ISOLATION]

    def lines(self) -> list[str]:
        return [f"[{'x' if layer.active else ' '}] {layer.name}: {layer.detail}" for layer in self.layers]


@dataclass(frozen=True)
class Plan:
    """How workers start on this machine: the layers chosen, and what they need."""

    uid: int | None  # the worker's uid, when the grader is root and may change it
    bwrap: str | None  # path of a working bubblewrap, else None
    unshare: tuple[str, ...]  # `unshare` prefix for namespaces when there is no bubblewrap
    cgroup: bool  # a memory + pids cgroup per worker
    seccomp: bool  # ask the worker to load its seccomp filter
    gpu_devices: tuple[str, ...]  # /dev/nvidia* to bind; the memory limit is then the cgroup's
    report: IsolationReport  # what the header prints
    templates: bool = False  # workers forked from a pre-initialised template, confined by confine.py


def make_plan(uid: int | None, without: frozenset[str], hidden: list[Path], masked: tuple[Path, ...] = (),
              templates_possible: bool = False) -> Plan:
    gpu = tuple(sorted(glob.glob("/dev/nvidia*"))) if "gpu" not in without else ()
    bwrap = None if "bwrap" in without else working_bwrap(uid)
    unshare = () if bwrap else namespace_prefix(
        "pid-namespace" not in without, "network" not in without)
    cgroup = "cgroup" not in without and bool(cgroup_dirs("dlgrade-probe"))
    seccomp = "seccomp" not in without and seccomp_available()
    # A template confines its forks itself, as root: it needs the uid layer, and seccomp so that a
    # fork can neither fork in turn nor trace anything.
    templates = templates_possible and uid is not None and seccomp and "templates" not in without
    report = describe(uid, bwrap, unshare, cgroup, seccomp, gpu, hidden, without, masked)
    report = IsolationReport(report.layers + (Layer("templates", templates, (
        "processus modèle pré-initialisé (numpy, torch…) : chaque rendu a son propre processus, fork du modèle "
        "confiné avec les mêmes couches avant de lire le moindre octet du rendu") if templates
        else "désactivé (--without templates)" if "templates" in without
        else "un processus neuf par rendu (il faut être root sous Linux, avec seccomp)"),))
    return Plan(uid, bwrap, unshare, cgroup, seccomp, gpu, report, templates)


def describe(uid, bwrap, unshare, cgroup, seccomp, gpu, hidden, without, masked=()) -> IsolationReport:
    pidns = bool(bwrap) or "--pid" in unshare
    netns = bool(bwrap) or "--net" in unshare
    off = "désactivée à la demande (--without)"
    why = {name: off for name in without}
    return IsolationReport((
        Layer("rlimits", True, "CPU, mémoire, taille des fichiers, processus, fichiers ouverts"),
        Layer("uid", uid is not None, f"le code étudiant tourne sous l'uid {uid}, un par emplacement" if uid is not None
              else "le grader ne tourne pas en root : le code étudiant garde l'uid du grader (et ses droits sur les "
                 "fichiers hors de la vue de bubblewrap)"),
        Layer("bwrap", bool(bwrap), "bubblewrap : système en lecture seule, copie privée du dépôt, /tmp limité ; "
              "reference/, solutions/ et les sorties n'existent pas pour le worker" if bwrap
              else why.get("bwrap", "bubblewrap absent ou inutilisable ici (paquet Debian bubblewrap, "
                                    "espaces de noms utilisateur)")),
        Layer("pid-namespace", pidns, "tout ce que lance la soumission meurt avec son worker" if pidns
              else why.get("pid-namespace", "indisponible : arrêt par groupe de processus et par uid seulement")),
        Layer("network", netns, "espace de noms réseau vide : aucune connexion possible" if netns
              else why.get("network", "indisponible : le code étudiant a accès au réseau")),
        Layer("hidden-files", bool(bwrap) or (uid is not None and bool(hidden)),
              ("invisibles ou illisibles pour le worker : " + ", ".join(str(p) for p in hidden)
               + (f" ; jeux de données installés masqués : {len(masked)} dossiers" if bwrap and masked
                  else " ; jeux de données installés lisibles (sans bubblewrap), rendus inutiles par la "
                       "transformation secrète des données de test" if masked else ""))
              if bwrap or uid is not None else "sans bubblewrap ni changement d'uid, reference/ et solutions/ "
              "restent lisibles par le code étudiant"),
        Layer("cgroup", cgroup, "cgroup mémoire + processus par worker" if cgroup
              else why.get("cgroup", "pas de cgroup inscriptible (il faut être root)")),
        Layer("seccomp", seccomp, "filtre seccomp : ni fork, ni exec, ni socket réseau, ni ptrace" if seccomp
              else why.get("seccomp", "pyseccomp ou libseccomp absent")),
        Layer("gpu", bool(gpu), f"{len(gpu)} périphériques /dev/nvidia* accessibles ; mémoire bornée par le cgroup"
              if gpu else "pas de GPU : calcul sur CPU"),
    ))


def linux_root_templates() -> bool:
    """Whether templates can run here: Linux, as root, on a processor confine.py knows."""
    from .runtime.confine import SYS_PIVOT_ROOT

    return sys.platform == "linux" and os.geteuid() == 0 and SYS_PIVOT_ROOT is not None


def worker_command(plan: Plan, inner: list[str], binds: list[Path], writable: list[Path],
                   tmp_bytes: int, chdir: Path, masked: tuple[Path, ...] = ()) -> list[str]:
    """The full command: [unshare] [setpriv] [bwrap …] python worker.py …"""
    command = list(inner)
    if plan.bwrap:
        command = [plan.bwrap, *bwrap_arguments(binds, writable, tmp_bytes, chdir, plan.gpu_devices, masked), *command]
    if plan.uid is not None:
        uid = str(plan.uid)
        command = ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--no-new-privs", "--", *command]
    return [*plan.unshare, *command]


def bwrap_arguments(binds: list[Path], writable: list[Path], tmp_bytes: int, chdir: Path,
                    gpu_devices: tuple[str, ...], masked: tuple[Path, ...] = ()) -> list[str]:
    # Only what is bound exists inside: the grader's reference/, solutions/, outputs, roster and
    # the other students' repos are simply absent from the worker's view.
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
            "--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]  # before binds under /tmp
    for link in ROOT_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    for path in binds:
        args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    for path in masked:  # an empty read-only folder over it: installed datasets the worker must not read
        args += ["--tmpfs", str(path), "--remount-ro", str(path)]
    for device in gpu_devices:
        args += ["--dev-bind", device, device]
    return args + ["--chdir", str(chdir)]


def python_paths(python: str) -> list[Path]:
    """What the worker's interpreter needs to see, outside /usr (a venv, a pyenv)."""
    paths = {Path(python).resolve().parent.parent, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    return sorted(p for p in paths if not str(p).startswith("/usr"))


@lru_cache(maxsize=None)
def working_bwrap(uid: int | None) -> str | None:
    """bubblewrap's path if it can make its namespaces here as the worker's uid, else None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    command = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
    if uid is not None:
        command = ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", "--no-new-privs", "--", *command]
    works = _succeeds(command)
    if uid is not None:
        kill_uid(uid)  # bubblewrap's own child can outlive it as a zombie re-parented to us: reap it
    return bwrap if works else None


@lru_cache(maxsize=None)
def namespace_prefix(pid: bool = True, net: bool = True) -> tuple[str, ...]:
    """`unshare` with new PID and network namespaces, the best that works here, or ()."""
    unshare = shutil.which("unshare")
    if unshare is None or not (pid or net):
        return ()
    user = () if os.geteuid() == 0 else ("--user", "--map-root-user")
    candidates = []
    if pid and net:
        candidates.append((unshare, *user, "--pid", "--net", "--fork", "--kill-child"))
    if pid:
        candidates.append((unshare, *user, "--pid", "--fork", "--kill-child"))
    if net:
        candidates.append((unshare, *user, "--net"))
    return next((prefix for prefix in candidates if _succeeds([*prefix, "true"])), ())


@lru_cache(maxsize=None)
def seccomp_available() -> bool:
    try:
        import pyseccomp

        pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        return True
    except Exception:  # not installed, or libseccomp missing
        return False


def _succeeds(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
