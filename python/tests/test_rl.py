"""aurum.HierarchicalTradingSystem: the seed's RL calls over a registered agent (trained here in
about a second): simulate with the seed's scenario names, the three plots, safety; bad input as
InputError."""
import math

import pytest

import aurum
from conftest import cli


@pytest.fixture(scope="module")
def rl_home(tmp_path_factory):
    h = tmp_path_factory.mktemp("rl") / "workspace"
    h.mkdir()
    (h / "tactical.yaml").write_text(
        "name: py-tactical\nmarket: {shape: momentum, momentum: 0.5, days: 500, seed: 7}\n"
        "agent: {episode_bars: 128, envs: 4, rollout_steps: 64, updates: 6}\n"
        "ppo: {hidden: 16, layers: 1, lr: 0.003, minibatch: 128, seed: 3}\n")
    cli(h, "rl", "train", "--config", h / "tactical.yaml", "--run", "py")
    return h


def test_simulate_with_the_seeds_scenario_names(rl_home):
    system = aurum.HierarchicalTradingSystem.load("py-tactical", workspace=str(rl_home))
    assert system.level == "tactical" and system.version == 1
    result = system.simulate("flash_crash_simulation", days=200)
    assert math.isfinite(result.sharpe) and -1 < result.max_dd <= 0  # drawdowns are negative
    d = result.decisions
    assert len(d) == result.raw["decisions"] > 100
    assert {"regime", "target", "position", "limit_bps", "equity"} <= set(d.columns)
    assert d.position.abs().max() <= 0.25 * 1.05, "the shield's cap"
    flow = result.decision_flow()
    assert abs(flow.share.sum() - 1) < 1e-9
    for plot in (result.plot_decision_tree, result.plot_position_sizes, result.plot_action_heatmap):
        assert plot() is not None
    same = system.simulate("flash-crash", days=200)
    assert same.total_return == result.total_return, "the seed's name is our flash-crash"


def test_safety_checks_as_a_table(rl_home):
    checks = aurum.HierarchicalTradingSystem.load("py-tactical", str(rl_home)).safety(days=200)
    assert list(checks.name) == ["position size", "drawdown halt", "bull capture", "crash loss"]
    assert set(checks.level) <= {"PASS", "WARN", "FAIL"}
    assert (checks.level[checks.name.isin(["position size", "drawdown halt"])] == "PASS").all()


def test_bad_input_is_an_input_error(rl_home):
    with pytest.raises(aurum.InputError, match="nope"):
        aurum.HierarchicalTradingSystem.load("nope", str(rl_home))
    system = aurum.HierarchicalTradingSystem.load("py-tactical", str(rl_home))
    with pytest.raises(aurum.InputError, match="--scenario 'sideways'"):
        system.simulate("sideways")
