"""seqnotes.train: the shared training loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqnotes.train import as_tensors, fit, minibatches


def _linear_problem():
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    return x, 2 * x - 0.5


def _mse(m, batch):
    return ((m(batch[0]) - batch[1]) ** 2).mean()


def test_fit_reduces_loss_and_is_deterministic():
    x, y = _linear_problem()
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = torch.nn.Linear(1, 1)
        runs.append(fit(model, _mse, minibatches(x, y, batch_size=8), steps=150, lr=0.05, seed=3))
    assert runs[0] == runs[1]
    assert len(runs[0]) == 150 and np.mean(runs[0][-10:]) < 1e-3 < runs[0][0]
    assert not model.training  # left in eval mode


def test_fit_accepts_an_iterable_and_an_optimizer_and_clips(capsys):
    x, y = _linear_problem()
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []

    def loss_fn(m, batch):
        loss = _mse(m, batch) * 1e4  # huge gradient
        seen.append(m.weight.detach().clone())
        return loss

    fit(model, loss_fn, [(x, y)], steps=2, optimizer=opt, clip=0.5)
    # with clipping, one SGD step moves the parameters by at most lr * clip
    step = torch.cat([(seen[1] - seen[0]).flatten()])
    assert float(step.norm()) <= 0.1 * 0.5 + 1e-6
    assert capsys.readouterr().out == ""  # silent by default


def test_fit_logs_and_stops_early(capsys):
    x, y = _linear_problem()
    history = fit(
        torch.nn.Linear(1, 1), _mse, [(x, y)], steps=500, lr=0.1, log_every=100, stop_below=1e-3
    )
    assert 20 <= len(history) < 500
    out = capsys.readouterr().out
    assert out == "" or out.startswith("step ")


def test_as_tensors_and_minibatches():
    a, b = as_tensors(np.ones((3, 2)), np.arange(3))
    assert a.dtype == torch.float32 and b.dtype == torch.int64
    draw = minibatches(torch.arange(100), batch_size=16)
    (first,) = draw(torch.Generator().manual_seed(0))
    (again,) = draw(torch.Generator().manual_seed(0))
    assert first.shape == (16,) and torch.equal(first, again)


def test_fit_requires_steps():
    with pytest.raises(TypeError):
        fit(torch.nn.Linear(1, 1), _mse, [(torch.zeros(2, 1), torch.zeros(2, 1))])  # no steps


def test_cosine_schedule_lowers_the_learning_rate_to_zero():
    x, y = _linear_problem()
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(model, _mse, [(x, y)], steps=10, optimizer=opt, schedule="cosine")
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(model, _mse, [(x, y)], steps=10, optimizer=opt)  # constant by default
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="schedule"):
        fit(model, _mse, [(x, y)], steps=1, schedule="linear")
