"""The command line's arguments: one parser per command, each value checked on the way in (a bad value is one
line naming the range, exit status 2: ``UsageError``). The commands themselves are in ``__main__.py``."""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Callable, Mapping

from lstm97.experiment import Experiment
from lstm97.readings import FIELDS, PAPER
from lstm97.seeds import SeedError, check_seed
from lstm97.tasks import describe_options

USAGE_ERROR = 2


class UsageError(ValueError):
    pass


class Parser(argparse.ArgumentParser):
    """One line and exit 2 on bad input, no usage dump; the help's texts that need every experiment loaded
    (``later``: attribute -> a function giving it) are made only when help is shown."""
    later: dict[str, Callable[[], str]] = {}

    def error(self, message: str):
        raise UsageError(message)

    def format_help(self) -> str:
        for name, make in self.later.items():
            setattr(self, name, make())
        return super().format_help()


N_MAX = 1_000_000           # sample --n
TRIALS_MAX = 4096           # run --trials, bench --trials (trials train side by side in one batch)
PROCESSES_MAX = 64          # run --workers, bench --processes (each process holds its own JAX)
SECONDS_MAX = 86_400        # bench --seconds
CHUNK_MAX = 1_000_000       # bench --chunk
INT32_MAX = 2 ** 31 - 1     # cerg's --streams, --ticks, --test-len: on-device int32 counters


def shown(text: str) -> str:
    """``text`` quoted for an error line, cut to 40 characters."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def int_in(low: int, high: int):
    """An argparse type: an integer in [low, high] (low 0 or 1), else one line naming the range."""
    kind = "a positive integer" if low == 1 else "a non-negative integer"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {kind}, at most {high:,}, got {shown(text)}")
        return value
    return parse


def seed_int(text: str) -> int:
    """An argparse type: a seed, any integer in [0, 2^63)."""
    try:
        return check_seed(int(text))
    except (ValueError, SeedError):
        raise argparse.ArgumentTypeError(f"a seed is an integer in [0, 2^63), got {shown(text)}") from None


def positive_float(text: str, high: float = SECONDS_MAX) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {shown(text)}") from None
    if not 0 < value <= high:
        raise argparse.ArgumentTypeError(f"expected a positive number, at most {high:,}, got {shown(text)}")
    return value


def parse_options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"options are KEY=VALUE (like p=100), got {pair!r}")
        options[key] = value
    return options


def describe_commands(catalog: Mapping[str, Experiment]) -> str:
    """The help's epilog: the experiments, the tasks with their options and ranges, what --quick shrinks."""

    def entry(name: str, text: str) -> str:
        return textwrap.fill(text, 100, initial_indent=f"  {name:<8} ", subsequent_indent=" " * 11,
                             break_on_hyphens=False)

    tasks = {**describe_options(), "cerg": "run and report only (its stream has no end): run's --streams, "
                                           "--ticks and --test-len"}
    lines = ["experiments (run, report):", *(entry(k, e.help) for k, e in catalog.items()), "",
             "tasks (sample, describe, bench) and their options, the paper's letters as KEY=VALUE:",
             *(entry(k, v) for k, v in tasks.items()), "",
             textwrap.fill("run --quick: the same pipeline at small budgets, minutes instead of hours: 2 trials a "
                           "row, a cap of 1,000 training sequences, success windows of 100 sequences (exps 2, "
                           "4-6), checks every 250 sequences at most, 256 test sequences; cerg: 3 nets, 200 "
                           "training streams, streams of at most 1,000 symbols. Results go under results/quick "
                           "(or --out): a check of the pipeline, not a result.", 100, subsequent_indent="  "),
             "",
             textwrap.fill("--seed: any integer in [0, 2^63) (default 0). Bad input: one line on stderr, exit "
                           "status 2, nothing written; a run that cannot finish exits 1 and keeps its finished "
                           "jobs.", 100)]
    return "\n".join(lines)


def describe_grids(catalog: Mapping[str, Experiment], width: int = 100) -> str:
    """Every searchable experiment's declared grid and the fields' values, for the readings command's help."""
    fields = "fields (lstm97/readings.py): " + "; ".join(
        f"{f.name}: {'|'.join(f.allowed)} ({', '.join(f.experiments)})" for f in FIELDS.values())
    grids = [textwrap.fill(f"{name}: " + ", ".join(r.name for r in dict.fromkeys((PAPER, *e.readings))), width,
                           initial_indent="  ", subsequent_indent="    ") for name, e in catalog.items() if e.searchable]
    return "\n".join(["grids (READINGS in experiments/expN.py; each reading where its fields apply to the row's "
                      "task):", *grids, textwrap.fill(fields, width, subsequent_indent="  ")])


def build_parser(catalog: Callable[[], Mapping[str, Experiment]]) -> Parser:
    """Every command's arguments; ``catalog()``: the experiments (their names and help, the readings' grids),
    loaded only when help is shown."""
    later = {"epilog": lambda: describe_commands(catalog())}
    parser = Parser(prog="python -m lstm97", formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Hochreiter & Schmidhuber (1997) LSTM, reproduced: sample a task, describe the "
                                "paper's net, run an experiment, rebuild its report, time the trainer.")
    parser.later = later
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")

    def command(name: str, text: str) -> Parser:
        made = sub.add_parser(name, help=text, description=text, formatter_class=argparse.RawDescriptionHelpFormatter)
        made.later = dict(later)
        return made

    p = command("sample", "print N sequences of a task as JSON lines")
    p.add_argument("task", help="exp1, exp2a … exp6b (see tasks below)")
    p.add_argument("options", nargs="*", help="the paper's letters, e.g. p=100 q=50 (see tasks below)")
    p.add_argument("--n", type=int_in(1, N_MAX), default=1, help=f"sequences (default 1, at most {N_MAX:,})")
    p.add_argument("--seed", type=seed_int, default=0, help="an integer in [0, 2^63) (default 0)")

    p = command("describe", "print the paper's net for a task as JSON")
    p.add_argument("task", help="exp1, exp2a … exp6b (see tasks below)")
    p.add_argument("options", nargs="*", help="the paper's letters, e.g. T=1000 (see tasks below)")
    p.add_argument("--all", action="store_true", help="every row of the task (baselines and pilots too)")

    p = command("run", "run an experiment and write its results (resumes: finished jobs are kept)")
    p.add_argument("experiment", help="exp1 … exp6, compare or cerg (see experiments below)")
    p.add_argument("--quick", action="store_true",
                   help="small budgets, minutes; results under results/quick (see run --quick below)")
    p.add_argument("--trials", type=int_in(1, TRIALS_MAX), default=None,
                   help=f"trials per row, cerg: nets per row (default: the paper's; at most {TRIALS_MAX:,})")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default results/, with --quick results/quick)")
    p.add_argument("--seed", type=seed_int, default=0, help="an integer in [0, 2^63) (default 0)")
    p.add_argument("--workers", type=int_in(1, PROCESSES_MAX), default=None,
                   help=f"local worker processes, each single-threaded (default 2, or 1 on a one-core machine; "
                        f"never more than the jobs; at most {PROCESSES_MAX}); not for cerg or --backend ray")
    p.add_argument("--only", default=None, help="run only rows whose label contains this text")
    p.add_argument("--streams", type=int_in(1, INT32_MAX), default=None,
                   help=f"cerg only: at most this many training streams per net (Gers et al.: 30,000; "
                        f"at most {INT32_MAX:,})")
    p.add_argument("--ticks", type=int_in(1, INT32_MAX), default=None,
                   help=f"cerg only: at most this many symbols (training and test) per net (default: no limit; "
                        f"at most {INT32_MAX:,})")
    p.add_argument("--test-len", type=int_in(1, INT32_MAX), default=None,
                   help=f"cerg only: symbols per test stream (Gers et al.: 100,000; at most {INT32_MAX:,})")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local processes (default) or Ray tasks (pip install 'lstm97[ray]'; RAY_ADDRESS joins a cluster)")

    p = command("bench", "trial-steps per second of the trainer on the paper's net for a task")
    p.add_argument("task", help="a task (exp4, exp2c, …), or 'suite' for make bench's nets into results/bench")
    p.add_argument("options", nargs="*", help="the paper's letters, e.g. T=100 (see tasks below)")
    p.add_argument("--trials", type=int_in(1, TRIALS_MAX), default=256,
                   help=f"trials trained at once (default 256, at most {TRIALS_MAX:,})")
    p.add_argument("--seconds", type=positive_float, default=10.0,
                   help=f"timed seconds after compiling (default 10, at most {SECONDS_MAX:,})")
    p.add_argument("--processes", type=int_in(1, PROCESSES_MAX), default=1,
                   help=f"single-threaded copies at once (default 1, at most {PROCESSES_MAX})")
    p.add_argument("--engine", choices=("auto", "scan", "lanes"), default="auto")
    p.add_argument("--updates", choices=("sequence", "step"), default="sequence",
                   help="weight updates once per sequence (default) or after every step")
    p.add_argument("--chunk", type=int_in(0, CHUNK_MAX), default=0,
                   help=f"sequences per compiled chunk (0: auto; at most {CHUNK_MAX:,})")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a line")
    p.add_argument("--out", type=Path, default=Path("results/bench"), help="where 'suite' writes")

    p = command("report", "rebuild tables and figures from per-trial results (no training)")
    p.add_argument("experiment", help="exp1 … exp6, compare or cerg (see experiments below)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results folder (default results/)")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--collect", action="store_true",
                   help="first rebuild trials.csv from the finished job files (after a resumed run)")
    p.add_argument("--seed", type=seed_int, default=0,
                   help="the tables of this seed (default 0, those in results/<experiment>; another seed's are in "
                        "results/<experiment>/seed<S>)")

    p = command("readings", "train one paper row under each reading of its experiment's grid into <out>/readings, "
                            "one line per row, reading and seed (resumes: finished jobs are kept)")
    text = p.description
    p.later["description"] = lambda: "\n".join([textwrap.fill(text, 100), "", describe_grids(catalog())])
    p.add_argument("row", nargs="+", metavar="ROW",
                   help="'<experiment> <label>', a paper row, e.g. 'exp4 T=100' or 'exp2 2c q=50 p=50'")
    p.add_argument("--only", metavar="NAME", default=None, action="append",
                   help="only this reading of the grid: 'paper' or FIELD=VALUE[,FIELD=VALUE] as the table names "
                        "it; repeat it for several (they train side by side where their shapes agree)")
    p.add_argument("--trials", type=int_in(1, TRIALS_MAX), default=None,
                   help=f"trials per reading (default: the row's paper count; at most {TRIALS_MAX:,})")
    p.add_argument("--seed", type=seed_int, default=1,
                   help="an integer in [0, 2^63) (default 1: searches use a seed no reported table uses; a "
                        "reading picked there counts after a confirmation run with --seed 0 at the paper's "
                        "trial count)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder: jobs in <out>/<experiment>/jobs, the table in <out>/readings "
                        "(default results/, with --quick results/quick)")
    p.add_argument("--workers", type=int_in(1, PROCESSES_MAX), default=None,
                   help=f"local worker processes (default 2, or 1 on a one-core machine; at most {PROCESSES_MAX})")
    p.add_argument("--quick", action="store_true",
                   help="small budgets, minutes; results under results/quick (see run --quick below)")
    p.add_argument("--plan", action="store_true",
                   help="print the programs the search would run and the most trial-steps each can take, then "
                        "stop: nothing is trained or written")

    p = command("diagnose", "why a row does not reproduce: exp2 (state drift at the target), exp1 [sequence|step] "
                            "[full] (what exp 1's nets get right while they train), gates \"<comparison row>\" "
                            "[trials] [sequences] (what a gated LSTM's gates do), states \"<experiment> <row>\" "
                            "[trials] [sequences] [seed] [--reading NAME] (each block's state and gates in a 1997 LSTM "
                            "row, under the defaults or one reading of its grid)")
    p.add_argument("what", choices=("exp1", "exp2", "gates", "states"))
    p.add_argument("options", nargs="*")
    p.add_argument("--reading", default=None, metavar="NAME",
                   help="states: the row under this reading of its grid (as readings --only names it)")
    return parser
