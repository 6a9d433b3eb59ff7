"""Command line: ``python -m lstm97 sample | describe | run | report | bench``.

Bad input gets one line on stderr and exit status 2; a sweep that cannot finish exits 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

USAGE_ERROR = 2


class UsageError(ValueError):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str):            # one line, exit 2, no usage dump
        raise UsageError(message)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def parse_options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"options are KEY=VALUE (like p=100), got {pair!r}")
        options[key] = value
    return options


def build_parser() -> Parser:
    parser = Parser(prog="python -m lstm97", description="Hochreiter & Schmidhuber (1997) LSTM, reproduced.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("sample", help="print N sequences of a task as JSON lines")
    p.add_argument("task")
    p.add_argument("options", nargs="*", help="the paper's letters, e.g. p=100 q=50")
    p.add_argument("--n", type=positive_int, default=1)
    p.add_argument("--seed", type=non_negative_int, default=0)

    p = sub.add_parser("describe", help="print the paper's net for a task as JSON")
    p.add_argument("task")
    p.add_argument("options", nargs="*")
    p.add_argument("--all", action="store_true", help="every row of the task (baselines and pilots too)")

    p = sub.add_parser("run", help="run an experiment and write its results")
    p.add_argument("experiment")
    p.add_argument("--quick", action="store_true", help="small budgets, minutes (results under results/quick)")
    p.add_argument("--trials", type=positive_int, default=None, help="trials per row (default: the paper's)")
    p.add_argument("--out", type=Path, default=None, help="results folder (default results/)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: one per core)")
    p.add_argument("--only", default=None, help="run only rows whose label contains this text")
    p.add_argument("--streams", type=positive_int, default=None,
                   help="cerg only: at most this many training streams per net (Gers et al.: 30,000)")
    p.add_argument("--ticks", type=positive_int, default=None,
                   help="cerg only: at most this many symbols (training and test) per net (default: no limit)")
    p.add_argument("--test-len", type=positive_int, default=None,
                   help="cerg only: symbols per test stream (Gers et al.: 100,000)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local processes (default) or Ray tasks (pip install 'lstm97[ray]'; RAY_ADDRESS joins a cluster)")

    p = sub.add_parser("bench", help="trial-steps per second of the trainer on the paper's net for a task")
    p.add_argument("task", help="a task (exp4, exp2c, …), or 'suite' for make bench's nets into results/bench")
    p.add_argument("options", nargs="*", help="the paper's letters, e.g. T=100")
    p.add_argument("--trials", type=positive_int, default=256, help="trials trained at once (default 256)")
    p.add_argument("--seconds", type=positive_float, default=10.0, help="timed seconds after compiling")
    p.add_argument("--processes", type=positive_int, default=1, help="single-threaded copies at once")
    p.add_argument("--engine", choices=("auto", "scan", "lanes"), default="auto")
    p.add_argument("--updates", choices=("sequence", "step"), default="sequence",
                   help="weight updates once per sequence (default) or after every step")
    p.add_argument("--chunk", type=non_negative_int, default=0, help="sequences per compiled chunk (0: auto)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a line")
    p.add_argument("--out", type=Path, default=Path("results/bench"), help="where 'suite' writes")

    p = sub.add_parser("report", help="rebuild tables and figures from per-trial results (no training)")
    p.add_argument("experiment")
    p.add_argument("--out", type=Path, default=Path("results"))
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--collect", action="store_true",
                   help="first rebuild trials.csv from the finished job files (after a resumed run)")
    return parser


def cmd_sample(args) -> int:
    import jax
    import numpy as np

    from lstm97.tasks import make_task
    task = make_task(args.task, **parse_options(args.options))
    names = task.symbol_names() if task.symbolic else None
    keys = jax.random.split(jax.random.PRNGKey(args.seed), args.n)
    for key in keys:
        seq = jax.tree.map(np.asarray, task.sample(key))
        n = int(seq.length)
        if task.symbolic:
            inputs = np.eye(task.n_in, dtype=int)[seq.x[:n]].tolist()
        else:
            inputs = np.round(seq.x[:n], 6).tolist()
        line = {"task": args.task, "length": n, "inputs": inputs,
                "targets": [np.round(t, 6).tolist() if m > 0 else None
                            for t, m in zip(seq.target[:n], seq.mask[:n])]}
        if names is not None:
            line["symbols"] = [names[i] for i in seq.x[:n]]
        print(json.dumps(line, separators=(",", ":")))
    return 0


def describe_row(row) -> dict:
    arch = row.arch
    return {"row": row.label, "experiment": row.experiment, "task": row.task_name, "cell": row.cell,
            "weights": row.weights, "blocks": getattr(arch, "blocks", None),
            "block_size": getattr(arch, "block_size", None), "hidden_units": arch.n_hidden,
            "inputs": arch.n_in, "outputs": arch.n_out,
            "connectivity": getattr(arch, "connectivity", "B"), "learning_rate": row.learning_rate,
            "trials": row.trials, "cap": row.cap,
            "criterion": {"rule": type(row.criterion).__name__, **vars(row.criterion),
                          "threshold": row.task.threshold},
            "init_scale": arch.init_scale, "truncated_gradient": arch.truncated,
            "paper": None if row.paper is None else vars(row.paper), "reproduced_here": row.run}


def cmd_describe(args) -> int:
    from lstm97.experiments import PAPER, rows_of
    from lstm97.tasks import make_task
    task = make_task(args.task, **parse_options(args.options))
    rows = [r for name in PAPER for r in rows_of(name, variants=args.all)
            if r.task_name == args.task and (r.task == task or not args.options)]
    if not rows:
        raise UsageError(f"no paper row for {args.task} with {task}; try the paper's values (see README)")
    if not args.all:
        rows = [r for r in rows if r.cell == "lstm1997"] or rows[:1]
    described = [describe_row(r) for r in rows]
    print(json.dumps(described[0] if len(described) == 1 else described, indent=1))
    return 0


def cmd_run(args) -> int:
    from lstm97.experiments import packs_rates, quick, rows_of
    from lstm97.sweep import run_sweep
    if args.experiment == "cerg":
        return run_cerg(args)
    if args.streams or args.ticks or args.test_len:
        raise UsageError("--streams, --ticks and --test-len apply to cerg only")
    rows = rows_of(args.experiment, quick=args.quick)
    if args.quick:
        rows = tuple(quick(r) for r in rows)
    selected = tuple(r for r in rows if args.only is None or args.only in r.label)
    if not selected:
        raise UsageError(f"no row of {args.experiment} matches --only {args.only!r}")
    out = args.out or Path("results/quick" if args.quick else "results")
    check_writable(out)
    workers = args.workers or min(os.cpu_count() or 1, 2)
    start = time.time()
    records = run_sweep(selected, out, seed=args.seed, trials=args.trials, workers=workers, backend=args.backend,
                        pack=packs_rates(args.experiment))
    from lstm97.report import write_report
    write_report(args.experiment, out, rows, seed=args.seed, trials=args.trials,
                 command=" ".join(["python -m lstm97"] + args.argv), wall_s=time.time() - start, quick=args.quick)
    print(f"{args.experiment}: {len(records)} jobs, results in {out / args.experiment} "
          f"({time.time() - start:.0f} s)")
    return 0


def run_cerg(args) -> int:
    """The continual embedded Reber grammar (Gers et al. 2000, Table 2): ``lstm97/continual.py``."""
    from experiments import cerg
    from lstm97 import continual_report
    if args.workers is not None or args.backend != "local":
        raise UsageError("cerg runs in one process: --workers and --backend do not apply")
    rows = cerg.QUICK_ROWS if args.quick else cerg.ROWS
    try:
        rows = continual_report.scale(rows, args.streams, args.ticks, args.test_len)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.only is not None and not any(args.only in r.label and r.run for r in rows):
        raise UsageError(f"no row of cerg that is run matches --only {args.only!r}")
    out = args.out or Path("results/quick" if args.quick else "results")
    check_writable(out)
    start = time.time()
    trials = continual_report.run_cerg(rows, out, seed=args.seed, nets=args.trials, quick=args.quick,
                                       command=" ".join(["python -m lstm97"] + args.argv), only=args.only)
    print(f"cerg: {len(trials)} nets, results in {out / 'cerg'} ({time.time() - start:.0f} s)")
    return 0


def cmd_report(args) -> int:
    from lstm97.experiments import rows_of
    from lstm97.report import rebuild
    if args.experiment == "cerg":
        from lstm97.continual_report import rebuild as rebuild_cerg
        try:
            rebuild_cerg(args.out)
        except (FileNotFoundError, ValueError) as e:
            raise UsageError(str(e)) from None
        return 0
    rows_of(args.experiment)                       # unknown experiment: one line, exit 2
    try:
        rebuild(args.experiment, args.out, figures=not args.no_figures, from_jobs=args.collect)
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    return 0


def cmd_bench(args) -> int:
    from lstm97 import bench
    if args.task == "suite":
        check_writable(args.out)
        bench.run_suite(args.out, seconds=args.seconds, command=" ".join(["python -m lstm97"] + args.argv))
        return 0
    setting = bench.Setting(args.task, tuple(parse_options(args.options).items()), trials=args.trials,
                            seconds=args.seconds, chunk=args.chunk, engine=args.engine,
                            processes=args.processes, updates=args.updates)
    try:
        result = bench.run(setting)
    except ValueError as e:                         # a net this engine does not cover, a task without a net
        raise UsageError(str(e).splitlines()[0]) from None
    print(json.dumps(result) if args.json else bench.summary_line(result))
    return 0


def check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise UsageError(f"cannot write results to {out}: {e.strerror or e}") from None


def main(argv: list[str] | None = None) -> int:
    from lstm97.experiments import UnknownExperiment
    from lstm97.sweep import SweepError
    from lstm97.tasks import TaskError
    commands = {"sample": cmd_sample, "describe": cmd_describe, "run": cmd_run, "report": cmd_report,
                "bench": cmd_bench}
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = build_parser().parse_args(argv)
        args.argv = argv
        return commands[args.command](args)
    except (UsageError, TaskError, UnknownExperiment) as e:
        print(f"lstm97: {e}", file=sys.stderr)
        return USAGE_ERROR
    except SweepError as e:
        print(f"lstm97: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:                    # output piped into head and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:                       # a full disk, a folder that vanished, …: finished jobs are kept
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"lstm97: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstm97: interrupted; finished jobs are kept, run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
