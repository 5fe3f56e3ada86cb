"""grader/grading/replayer.py: a trained model is rebuilt and run in a replay process of its own, with the
sandbox's layers and limits; whatever it does there — a crash, a hang — is a French message for
that test, and the grader goes on."""
from __future__ import annotations

import copy
import os
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from grader.grading.heldout import dataset_folders
from grader.sandbox.runtime.probes import describe_model
from grader.sandbox.runtime.replay import replay
from grader.grading.replayer import REPLAY_PROBES, Replayer, replay_policy
from grader.grading.runner import hidden_paths
from grader.sandbox import SandboxPolicy
from grader.sandbox.policy import Budget
from grader.grading.testkit import Feedback, Student

CRASHING = '''
import ctypes, os, time

def build(**request):
    ctypes.string_at(0)  # a real fault (SIGSEGV), as an integer division trap (SIGFPE) would be

def predict(**request):
    while True:  # what an operation of 10^12 comparisons looks like from outside
        time.sleep(1)

def snoop(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__

PROBES = {"build": build, "predict": predict, "snoop": snoop, "ping": lambda: "pong"}

def run(name, request):
    return PROBES[name](**request)
'''


@pytest.fixture
def worker_policy(project):
    return SandboxPolicy(probes_path=project.probes, hidden_paths=hidden_paths(project), masked_paths=dataset_folders(),
                         preload=("torch",))


def model_and_check():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 13 * 13, 10))
    check = np.random.default_rng(0).uniform(size=(8, 1, 28, 28)).astype(np.float32)
    return model, check, describe_model(copy.deepcopy(model), check)


def test_a_model_is_rebuilt_and_run_in_the_replay_process(worker_policy):
    model, check, description = model_and_check()
    inputs = np.random.default_rng(1).uniform(size=(21, 1, 28, 28)).astype(np.float32)
    replayer = Replayer(worker_policy)
    try:
        student = Student(caller=None, models=replayer)
        rebuilt = student.replay(description, check, "DigitCNN")
        assert rebuilt.layers == {"0": "Conv2d", "1": "ReLU", "2": "MaxPool2d", "3": "Flatten", "4": "Linear"}
        got = rebuilt.predict(inputs)
        assert replayer._session is not None and replayer._session._proc.pid != os.getpid()
    finally:
        replayer.close()
    assert np.allclose(got, replay(description, check).predict(inputs), atol=1e-6)  # the same interpreter
    with torch.no_grad():
        assert np.allclose(got, model.eval()(torch.from_numpy(inputs)).numpy(), atol=1e-5)


def test_a_refused_description_is_the_test_s_french_message(worker_policy):
    _, check, description = model_and_check()
    description["layers"]["0"]["type"] = "LSTM"
    replayer = Replayer(worker_policy)
    try:
        with pytest.raises(Feedback, match="couche de torch.nn"):
            replayer.model(description, check, "DigitCNN")
    finally:
        replayer.close()


def test_a_crash_or_a_hang_of_the_replay_costs_the_test_only(worker_policy, tmp_path):
    probes = tmp_path / "crashing.py"
    probes.write_text(CRASHING)
    replayer = Replayer(worker_policy)
    replayer.policy = replace(replayer.policy, probes_path=probes, call_timeout=2.0)
    _, check, description = model_and_check()
    try:
        with pytest.raises(Feedback, match="n'a pas pu évaluer votre modèle.*SIGSEGV"):
            replayer.model(description, check, "DigitCNN")
        started = time.monotonic()
        with pytest.raises(Feedback, match="n'a pas pu évaluer votre modèle.*dépassé 2 s"):
            replayer.ask("predict", {"model": 1, "X": check}, "DigitCNN")
        assert time.monotonic() - started < 10
        # The process it runs in sees an empty folder, not the submission, nor the hidden side.
        assert replayer._started().call("snoop", {"path": "."}) == []
        assert replayer._started().call("snoop", {"path": str(worker_policy.hidden_paths[0])}) != \
            sorted(os.listdir(worker_policy.hidden_paths[0]))
    finally:
        replayer.close()


def test_the_replay_process_has_the_worker_s_layers_and_its_own_limits(worker_policy):
    policy = replay_policy(replace(worker_policy, without=frozenset({"bwrap"})))
    assert policy.probes_path == REPLAY_PROBES and policy.preload == ("torch",)
    assert policy.hidden_paths == worker_policy.hidden_paths and policy.masked_paths == worker_policy.masked_paths
    assert policy.without == frozenset({"bwrap"})
    assert policy.limits.memory_bytes <= 4 << 30 and policy.call_timeout <= 120


def test_once_the_grading_budget_is_spent_the_replay_is_not_asked(worker_policy):
    _, check, description = model_and_check()
    budget = Budget(0.0)
    replayer = Replayer(worker_policy, budget)
    try:
        with pytest.raises(Feedback, match="n'a pas pu évaluer.*temps de notation du TP est épuisé"):
            replayer.model(description, check, "DigitCNN")
    finally:
        replayer.close()
