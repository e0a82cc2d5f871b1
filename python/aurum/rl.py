"""aurum.HierarchicalTradingSystem: the seed's RL API over the registered agents.

    system = aurum.HierarchicalTradingSystem.load("rl-execution")   # a registry name
    for scenario in ["bull_market_2023Q1", "bear_market_2022",
                     "flash_crash_simulation", "low_volatility_ranging"]:
        result = system.simulate(scenario)
        result.plot_decision_tree()    # strategic -> tactical -> execution flow
        result.plot_position_sizes()   # how aggressive / conservative
        result.plot_action_heatmap()   # when did it trade?
        print(f"{scenario}: Sharpe = {result.sharpe}, Max DD = {result.max_dd}")
    system.safety()                     # the PASS/WARN/FAIL checks as a DataFrame

Every call runs `aurum rl simulate|safety|evaluate --json` (the same binary as the module, the
same engine and shield); this module only shapes the answers and draws them. The seed's scenario
names map to ours (SCENARIOS); our own names (bull, bear, flash-crash, ranging, bull-2023q1, ...,
or FROM..TO dates) work as they are.
"""
import json
import subprocess

from ._util import cli_path
from .errors import InputError, SystemFailure
from .workspace import Workspace

#: The seed's scenario names -> `aurum rl simulate --scenario` names.
SCENARIOS = {
    "bull_market_2023Q1": "bull-2023q1",
    "bear_market_2022": "bear-2022",
    "flash_crash_simulation": "flash-crash",
    "low_volatility_ranging": "ranging",
}


def _run(workspace, *args):
    """`aurum --home WS --json ARGS` -> (exit code, parsed JSON). Exit 2: InputError with the
    CLI's message; another failure without JSON: SystemFailure."""
    cmd = [cli_path(), "--home", workspace.path]
    if workspace.db:
        cmd += ["--db", workspace.db]
    p = subprocess.run(cmd + ["--json", *map(str, args)], capture_output=True, text=True)
    if p.returncode == 2:
        raise InputError(p.stderr.strip() or p.stdout.strip())
    try:
        return p.returncode, json.loads(p.stdout)
    except json.JSONDecodeError:
        raise SystemFailure(f"aurum {' '.join(map(str, args))}: exit {p.returncode}: "
                            f"{p.stderr.strip()}") from None


class SimulationResult:
    """One `aurum rl simulate` run: the figures, and every decision as a DataFrame."""

    def __init__(self, scenario, doc):
        import pandas as pd
        self.scenario = scenario
        self.raw = doc
        self.policy = doc["policy"]
        self.sharpe = doc["sharpe"]
        self.max_dd = doc["max_drawdown"]
        self.total_return = doc["total_return"]
        self.buy_hold_return = doc["buy_hold_return"]
        self.trades = doc["trades"]
        self.shield = doc["shield"]
        self.execution = doc["execution"]
        d = pd.DataFrame(doc["series"])
        d["time"] = pd.to_datetime(d.time, unit="ms", utc=True)
        hier = doc.get("hierarchy")
        if hier:
            d["allocation"], d["tactical_level"] = hier["allocation"], hier["tactical_level"]
        self.decisions = d.set_index("time")

    def __repr__(self):
        return (f"<SimulationResult {self.scenario}: return {self.total_return:+.2%} "
                f"(buy-and-hold {self.buy_hold_return:+.2%}), Sharpe {self.sharpe:.2f}, "
                f"max DD {self.max_dd:.2%}, {self.trades} trades>")

    def _order_type(self):
        b = self.decisions.limit_bps
        return b.map(lambda v: "no order" if v < 0 else "market" if v == 0 else f"limit {v:g} bps")

    def decision_flow(self):
        """Share of decisions per regime -> (allocation, tactical level when a strategic agent
        decides) -> target -> order type: the rows behind plot_decision_tree."""
        d = self.decisions.assign(order=self._order_type())
        keys = ["regime"] + (["allocation", "tactical_level"] if "allocation" in d else [])
        return (d.groupby(keys + ["target", "order"]).size() / len(d)).rename("share").reset_index()

    def plot_decision_tree(self, ax=None):
        """Strategic -> tactical -> execution: how often each regime led to each target and order
        type (one bar per path, share of all decisions)."""
        import matplotlib.pyplot as plt
        flow = self.decision_flow()
        flow = flow[flow.order != "no order"] if (flow.order != "no order").any() else flow
        labels = flow.drop(columns="share").astype(str).agg(" > ".join, axis=1)
        if ax is None:
            _, ax = plt.subplots(figsize=(10, 0.3 * len(flow) + 1.5))
        ax.barh(labels, flow.share * 100)
        ax.set_xlabel("% of decisions")
        ax.set_title(f"{self.scenario}: decision flow ({' > '.join(flow.columns[:-1])})")
        return ax

    def plot_position_sizes(self, ax=None):
        """Position (notional / equity) after each decision, and the target asked for."""
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(12, 3))
        self.decisions.position.plot(ax=ax, label="position / equity")
        self.decisions.target.plot(ax=ax, drawstyle="steps-post", alpha=0.6, label="target")
        ax.set_title(f"{self.scenario}: position sizes")
        ax.legend()
        return ax

    def plot_action_heatmap(self, ax=None):
        """Share of each month's decisions at each target: when did it trade?"""
        import matplotlib.pyplot as plt
        d = self.decisions
        table = d.groupby([d.index.strftime("%Y-%m"), "target"]).size().unstack(fill_value=0)
        table = table.div(table.sum(axis=1), axis=0).T
        if ax is None:
            _, ax = plt.subplots(figsize=(12, 0.5 * len(table) + 1.5))
        im = ax.imshow(table.values, aspect="auto", cmap="Blues", vmin=0, vmax=1)
        ax.set_yticks(range(len(table.index)), [f"target {t:g}" for t in table.index])
        ax.set_xticks(range(len(table.columns)), table.columns, rotation=90)
        ax.figure.colorbar(im, ax=ax, label="share of the month's decisions")
        ax.set_title(f"{self.scenario}: action heatmap")
        return ax


class HierarchicalTradingSystem:
    """A registered RL agent with the levels it was trained with: a tactical agent, a strategic
    agent over its tactical one, or an execution agent under either (docs/rl.md)."""

    def __init__(self, name, version, workspace, record):
        self.name, self.version, self.workspace, self.record = name, version, workspace, record
        self.level = record["params"].get("level", "tactical")

    @classmethod
    def load(cls, name, workspace=None, version=None):
        """The registered rl agent `name` (its latest version, or `version`)."""
        ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        args = ["registry", "show", name] + (["--version", version] if version else [])
        code, rec = _run(ws, *args)
        if code != 0 or rec.get("kind") != "rl":
            raise InputError(f"{name}: a {rec.get('kind')} model, not an rl agent "
                             "(train one with `aurum rl train`)")
        return cls(name, rec["version"], ws, rec)

    def __repr__(self):
        return f"<HierarchicalTradingSystem {self.name} v{self.version} ({self.level})>"

    def _model(self):
        return ["--model", self.name, "--version", self.version]

    def simulate(self, scenario, seed=42, days=365, symbol=None, timeframe=None):
        """Runs the agent through a scenario: the seed's names (SCENARIOS), bull, bear,
        flash-crash, ranging (synthetic, `seed`, `days`), a named window of real history or
        FROM..TO dates (the store's `symbol` x `timeframe`)."""
        name = SCENARIOS.get(scenario, scenario)
        args = ["rl", "simulate", "--scenario", name, "--seed", seed, "--days", days]
        args += ["--symbol", symbol] if symbol else []
        args += ["--timeframe", timeframe] if timeframe else []
        _, doc = _run(self.workspace, *args, *self._model())
        return SimulationResult(scenario, doc)

    def safety(self, seed=42, days=365):
        """The safety suite: one row per check (name, level PASS/WARN/FAIL, message)."""
        import pandas as pd
        _, doc = _run(self.workspace, "rl", "safety", "--seed", seed, "--days", days,
                      *self._model())
        return pd.DataFrame(doc["checks"])

    def evaluate(self):
        """Out of sample through the engine, re-gated: the CLI's JSON (evaluation, gating)."""
        _, doc = _run(self.workspace, "rl", "evaluate", *self._model())
        return doc
