"""Command line: ``python -m lstm97 sample | describe | run | report | bench | readings``.

Bad input gets one line on stderr and exit status 2; a sweep that cannot finish exits 1.
"""
from __future__ import annotations

import argparse
import importlib.util
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
    from lstm97.seeds import SeedError, check_seed
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


EXPERIMENTS_HELP = {
    "exp1": "embedded Reber grammar (Table 1; task exp1)",
    "exp2": "long time lags over local symbol codes (Tables 2, 3; tasks exp2a, exp2b, exp2c)",
    "exp3": "noise and signal on one input line (Tables 4-6; tasks exp3a, exp3b, exp3c)",
    "exp4": "the adding problem (Table 7; task exp4)",
    "exp5": "the multiplication problem (Table 8; task exp5)",
    "exp6": "temporal order (Table 9; tasks exp6a, exp6b)",
    "compare": "beyond the paper: every cell (lstm1997, forget_lstm, peephole_lstm, vanilla_lstm, gru, elman) "
               "on every LSTM row of exp1-exp6",
    "cerg": "beyond the paper: the continual embedded Reber grammar (Gers et al. 2000, Table 2)",
}


def describe_commands() -> str:
    """The help's epilog: the experiments, the tasks with their options and ranges, what --quick shrinks."""
    import textwrap

    from lstm97.tasks import describe_options

    def entry(name: str, text: str) -> str:
        return textwrap.fill(text, 100, initial_indent=f"  {name:<8} ", subsequent_indent=" " * 11,
                             break_on_hyphens=False)

    tasks = {**describe_options(), "cerg": "run and report only (its stream has no end): run's --streams, "
                                           "--ticks and --test-len"}
    lines = ["experiments (run, report):", *(entry(k, v) for k, v in EXPERIMENTS_HELP.items()), "",
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


def build_parser() -> Parser:
    epilog = describe_commands()
    parser = Parser(prog="python -m lstm97", epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Hochreiter & Schmidhuber (1997) LSTM, reproduced: sample a task, describe the "
                                "paper's net, run an experiment, rebuild its report, time the trainer.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")

    def command(name: str, text: str) -> Parser:
        return sub.add_parser(name, help=text, description=text, epilog=epilog,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

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

    import textwrap

    from lstm97.search import describe_grids
    p = command("readings", "train one paper row under each reading of its experiment's grid into <out>/readings, "
                            "one line per row, reading and seed (resumes: finished jobs are kept)")
    p.description = "\n".join([textwrap.fill(p.description, 100), "", describe_grids()])
    p.add_argument("row", nargs="+", metavar="ROW",
                   help="'<experiment> <label>', a paper row, e.g. 'exp4 T=100' or 'exp2 2c q=50 p=50'")
    p.add_argument("--only", metavar="NAME", default=None,
                   help="only this reading of the grid: 'paper' or FIELD=VALUE[,FIELD=VALUE] as the table names it")
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
    return parser


def cmd_sample(args) -> int:
    import jax
    import numpy as np

    from lstm97.seeds import root_key
    from lstm97.tasks import make_task
    task = make_task(args.task, **parse_options(args.options))
    names = task.symbol_names() if task.symbolic else None
    keys = jax.random.split(root_key(args.seed), args.n)
    for key in keys:
        seq = jax.tree.map(np.asarray, task.sample(key))
        n = int(seq.length)
        if task.symbolic:
            inputs = np.zeros((n, task.n_in), dtype=np.int8)        # one-hot rows, no n_in × n_in table
            inputs[np.arange(n), seq.x[:n]] = 1
            inputs = inputs.tolist()
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
    return {"row": row.label, "reading": row.reading.name, "pilot": row.pilot, "experiment": row.experiment, "task": row.task_name, "cell": row.cell,
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
    check_experiment(args.experiment)              # everything is checked before check_writable makes a folder
    if args.experiment == "cerg":
        return run_cerg(args)
    if args.streams or args.ticks or args.test_len:
        raise UsageError("--streams, --ticks and --test-len apply to cerg only")
    if args.backend == "ray" and importlib.util.find_spec("ray") is None:
        raise UsageError("--backend ray needs Ray, which is not installed: pip install 'lstm97[ray]'")
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
    from lstm97.sweep import finished
    reused = finished(selected, out, args.seed, args.trials)
    records = run_sweep(selected, out, seed=args.seed, trials=args.trials, workers=workers, backend=args.backend,
                        pack=packs_rates(args.experiment))
    from lstm97.report import write_report
    from lstm97.store import tables_folder
    write_report(args.experiment, out, rows, seed=args.seed, trials=args.trials,
                 command=" ".join(["python -m lstm97"] + args.argv), wall_s=time.time() - start, quick=args.quick)
    folder = tables_folder(out, args.experiment, args.seed)
    print(f"{args.experiment}: {len(records)} jobs of seed {args.seed} ({len(records) - reused} trained, "
          f"{reused} reused) in {time.time() - start:.0f} s; wrote {written_since(folder, start)}")
    return 0


def cmd_readings(args) -> int:
    """A paper row under each reading of its experiment's grid (``lstm97/search.py``); every argument is
    checked before anything is written."""
    import shlex

    from lstm97 import search
    from lstm97.store import tables_folder
    out = args.out or Path("results/quick" if args.quick else "results")
    try:
        job = search.plan(" ".join(args.row), only=args.only, quick=args.quick, trials=args.trials)
        search.read_index(out)
    except ValueError as e:                         # SearchError, ReadingError: one line
        raise UsageError(str(e).splitlines()[0]) from None
    check_writable(out)
    start = time.time()
    done = search.search(job, out, seed=args.seed, workers=args.workers or min(os.cpu_count() or 1, 2),
                         command=shlex.join(["python", "-m", "lstm97", *args.argv]))
    n, k = len(job.rows), job.trials
    print(f"{job.name}: {n} reading{'s' * (n != 1)} × {k} trial{'s' * (k != 1)} on seed {args.seed} "
          f"({done.trained} trained, {done.reused} reused); wrote "
          f"{written_since(tables_folder(out, search.FOLDER, 0), start)}")
    return 0


def run_cerg(args) -> int:
    """The continual embedded Reber grammar (Gers et al. 2000, Table 2): ``lstm97/continual.py``."""
    from experiments import cerg
    from lstm97 import continual_report
    from lstm97.store import tables_folder
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
    runnable = [r for r in rows if r.run and (args.only is None or args.only in r.label)]
    reused = continual_report.finished(runnable, out, args.seed, args.trials)
    trials = continual_report.run_cerg(rows, out, seed=args.seed, nets=args.trials, quick=args.quick,
                                       command=" ".join(["python -m lstm97"] + args.argv), only=args.only)
    folder = tables_folder(out, "cerg", args.seed)
    print(f"cerg: {len(trials)} nets of seed {args.seed} ({len(runnable) - reused} jobs trained, {reused} reused) "
          f"in {time.time() - start:.0f} s; wrote {written_since(folder, start)}")
    return 0


def cmd_report(args) -> int:
    """Rebuild the tables from trials.csv; a broken file is one line ("<path>: <problem>") and nothing written.
    Ends with the files it wrote."""
    from lstm97.report import rebuild
    from lstm97.store import tables_folder
    from lstm97.trials_file import CERG_COLUMNS, CERG_OPTIONAL, TrialsFileError, read_trials
    check_experiment(args.experiment)
    folder, start = tables_folder(args.out, args.experiment, args.seed), time.time()
    if args.experiment == "cerg":
        from lstm97.continual_report import rebuild as rebuild_cerg
        trials = folder / "trials.csv"
        try:
            if trials.exists():
                read_trials(trials, CERG_COLUMNS, CERG_OPTIONAL)     # its problem in its own words, first
            from experiments.cerg import ROWS as CERG_ROWS
            rebuild_cerg(args.out, CERG_ROWS, seed=args.seed)
        except (FileNotFoundError, ValueError) as e:
            raise UsageError(str(e)) from None
    else:
        check_json(folder / "run.json")
        try:
            rebuild(args.experiment, args.out, figures=not args.no_figures, from_jobs=args.collect, seed=args.seed)
        except (FileNotFoundError, TrialsFileError) as e:
            raise UsageError(str(e)) from None
    print(f"{args.experiment}: tables of seed {args.seed} rebuilt; wrote {written_since(folder, start)}")
    return 0


def check_experiment(name: str) -> None:
    """``UsageError`` for a name that is no experiment, naming every one (cerg too)."""
    from lstm97.experiments import EXPERIMENTS
    known = (*EXPERIMENTS, "cerg")
    if name not in known:
        raise UsageError(f"unknown experiment {name!r}; known: {', '.join(known)}")


def check_json(path: Path) -> None:
    """``UsageError`` when ``path`` exists but is not a JSON object (``report`` reads its run.json)."""
    if not path.exists():
        return
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not a readable JSON file ({str(e).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise UsageError(f"{path}: not a JSON object")


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


def written_since(folder: Path, start: float) -> str:
    """The files in ``folder`` written since ``start``, for the last line of ``run`` and ``report``."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.stat().st_mtime >= start - 1)
    return f"{folder}/{{{','.join(names)}}}" if len(names) > 1 else str(folder / names[0]) if names else "nothing"


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
                "bench": cmd_bench, "readings": cmd_readings}
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
