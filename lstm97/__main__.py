"""Command line: ``python -m lstm97 sample | describe | run | report | bench | readings | diagnose``.

The top floor: the only module that imports ``experiments`` (the registry of ``Experiment`` records); it
passes records and rows into the library. Arguments are parsed in ``cli.py``. Bad input gets one line on
stderr and exit status 2; a sweep that cannot finish exits 1.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

import jax
import numpy as np

import experiments
from lstm97 import bench, diagnostics, engines, search
from lstm97.cli import USAGE_ERROR, UsageError, build_parser, parse_options
from lstm97.experiment import UnknownExperiment
from lstm97.files import tables_folder
from lstm97.provenance import provenance
from lstm97.report import read_meta, rebuild, tables_of
from lstm97.runs import write_report
from lstm97.seeds import root_key
from lstm97.sweep import SweepError, finished, run_sweep
from lstm97.tasks import TaskError, make_task

GRID_ROW = "exp4 T=100"       # make bench: a paper row's 16 readings trained in one program, and one at a time
PACKED_ROW = "exp4 T=100"     # make bench: the comparison's widest program on this row, and its earlier batches


def cmd_sample(args) -> int:
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
    task = make_task(args.task, **parse_options(args.options))
    rows = [r for name in experiments.paper() for r in experiments.rows_of(name, variants=args.all)
            if r.task_name == args.task and (r.task == task or not args.options)]
    if not rows:
        raise UsageError(f"no paper row for {args.task} with {task}; try the paper's values (see README)")
    if not args.all:
        rows = [r for r in rows if r.cell == "lstm1997"] or rows[:1]
    described = [describe_row(r) for r in rows]
    print(json.dumps(described[0] if len(described) == 1 else described, indent=1))
    return 0


def cmd_run(args) -> int:
    """Train an experiment's rows through the one driver (``sweep.run_sweep``: job files, locks, resume,
    progress) and write its tables (``runs.write_report``). Every argument is checked before anything is
    written."""
    experiment = experiments.get(args.experiment)
    scaling = {"--streams": args.streams, "--ticks": args.ticks, "--test-len": args.test_len}
    if experiment.scale is None and any(v is not None for v in scaling.values()):
        takers = [name for name, e in experiments.registry().items() if e.scale is not None]
        raise UsageError(f"--streams, --ticks and --test-len apply to {', '.join(takers)} only")
    if args.backend == "ray" and importlib.util.find_spec("ray") is None:
        raise UsageError("--backend ray needs Ray, which is not installed: pip install 'lstm97[ray]'")
    rows = experiment.run_rows(quick=args.quick)
    if experiment.scale is not None:
        try:
            rows = experiment.scale(rows, args.streams, args.ticks, args.test_len)
        except ValueError as e:
            raise UsageError(str(e)) from None
    matching = tuple(r for r in rows if args.only is None or args.only in r.label)
    selected = tuple(r for r in matching if r.run)
    if not matching:
        raise UsageError(f"no row of {args.experiment} matches --only {args.only!r}")
    if not selected:
        raise UsageError(f"no row of {args.experiment} that is run matches --only {args.only!r}")
    out = args.out or Path("results/quick" if args.quick else "results")
    check_writable(out)
    workers = args.workers or min(os.cpu_count() or 1, 2)
    start = time.time()
    reused = finished(selected, out, args.seed, args.trials)
    records = run_sweep(selected, out, seed=args.seed, trials=args.trials, workers=workers, backend=args.backend,
                        pack=experiment.pack)
    write_report(experiment, out, rows, seed=args.seed, trials=args.trials,
                 command=" ".join(["python -m lstm97"] + args.argv), wall_s=time.time() - start, quick=args.quick,
                 overview=experiments.paper())
    folder = tables_folder(out, args.experiment, args.seed)
    print(f"{args.experiment}: {len(records)} jobs of seed {args.seed} ({len(records) - reused} trained, "
          f"{reused} reused) in {time.time() - start:.0f} s; wrote {written_since(folder, start)}")
    return 0


def describe_programs(job, programs, seed: int) -> str:
    """``readings --plan``: each program the search would run, and its bound in padded trial-steps."""
    runs = [p for p in programs if p.readings]
    reused = [name for p in programs for name in p.reused]
    plural = lambda n, word: f"{n} {word}{'s' * (n != 1)}"
    todo = f"{plural(len(runs), 'program')} to train, in this order:" if runs else "nothing to train"
    lines = [f"{job.name} on seed {seed}, {plural(job.trials, 'trial')} a reading: "
             f"{plural(len(job.rows), 'reading')}; {todo}"]
    lines += [f"  {len(p.readings) * p.trials} trials ({', '.join(p.readings)}): at most {p.steps:.2e} trial-steps"
              for p in runs]
    if reused:
        lines.append(f"  finished, reused: {', '.join(reused)}")
    lines.append(f"left: at most {sum(p.steps for p in runs):.2e} padded trial-steps (every trial to its cap, every "
                 "sequence at the task's longest length); a trial that meets its rule stops early. Nothing was "
                 "trained or written.")
    return "\n".join(lines)


def cmd_readings(args) -> int:
    """A paper row under each reading of its experiment's grid (``lstm97/search.py``); every argument is
    checked before anything is written."""
    out = args.out or Path("results/quick" if args.quick else "results")
    catalog = experiments.registry()
    try:
        job = search.plan(" ".join(args.row), catalog, only=args.only, quick=args.quick, trials=args.trials)
        search.read_index(out)
    except ValueError as e:                         # SearchError, ReadingError: one line
        raise UsageError(str(e).splitlines()[0]) from None
    if args.plan:
        print(describe_programs(job, search.programs(job, out, args.seed), args.seed))
        return 0
    check_writable(out)
    start = time.time()
    done = search.search(job, out, catalog, seed=args.seed, workers=args.workers or min(os.cpu_count() or 1, 2),
                         command=shlex.join(["python", "-m", "lstm97", *args.argv]))
    n, k = len(job.rows), job.trials
    print(f"{job.name}: {n} reading{'s' * (n != 1)} × {k} trial{'s' * (k != 1)} on seed {args.seed} "
          f"({done.trained} trained, {done.reused} reused); wrote "
          f"{written_since(tables_folder(out, search.FOLDER, 0), start)}")
    return 0


def cmd_report(args) -> int:
    """Rebuild the tables from trials.csv through the experiment's table builder (``report.rebuild``; with
    ``--collect``, trials.csv first from the finished job files, ``runs.write_report``); a broken file is one
    line ("<path>: <problem>") and nothing written. Ends with the files it wrote."""
    experiment = experiments.get(args.experiment)
    folder, start = tables_folder(args.out, args.experiment, args.seed), time.time()
    try:
        if args.collect:
            tables = tables_of(experiment)
            meta = read_meta(folder / tables.meta_file)
            write_report(experiment, args.out, tables.rows(experiment, meta), args.seed, meta.get("trials"),
                         command=f"python -m lstm97 report {experiment.name} --collect", wall_s=None,
                         quick=bool(meta.get("quick")), overview=experiments.paper())
        else:
            rebuild(experiment, args.out, figures=not args.no_figures, seed=args.seed, overview=experiments.paper())
    except (FileNotFoundError, ValueError) as e:          # TrialsFileError, a broken meta file: one line
        raise UsageError(str(e).splitlines()[0]) from None
    print(f"{args.experiment}: tables of seed {args.seed} rebuilt; wrote {written_since(folder, start)}")
    return 0


def comparison_program(paper_row: str) -> tuple[list, list[list[int]]]:
    """The widest program ``run compare`` trains on ``paper_row`` (rows of one ``engines.wide_key``, the
    first of the widest) on the engine it trained on before (``auto``: ``bench.run_grid`` adds the lanes
    engine's line), and the batches its rows trained in before (``engines.pack_key``: a row's rates)."""
    rows = [r.scaled(engine="auto") for r in experiments.get("compare").rows          # the scan engine, as before
            if r.paper_row == paper_row and engines.packable(r)]
    programs: dict[str, list] = {}
    for row in rows:
        programs.setdefault(engines.wide_key(row), []).append(row)
    members = max(programs.values(), key=len)
    keys = list(dict.fromkeys(engines.pack_key(r) for r in members))
    return members, [[i for i, r in enumerate(members) if engines.pack_key(r) == k] for k in keys]


def cmd_bench(args) -> int:
    if args.task == "suite":
        check_writable(args.out)
        grid = search.plan(GRID_ROW, experiments.registry())          # exp 4 T=100 under its readings' grid
        rows = [r for r in grid.rows if engines.wide_key(r) == engines.wide_key(grid.rows[0])][:16]
        bench.run_suite(args.out, seconds=args.seconds, command=" ".join(["python -m lstm97"] + args.argv),
                        grid=(GRID_ROW, rows), packed=(PACKED_ROW, *comparison_program(PACKED_ROW)))
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


def print_made_by(args, table: str) -> None:
    """A diagnostic table under the line that says how it was made (command, commit, versions)."""
    made = provenance()
    print(f"Made by `python -m lstm97 {shlex.join(args.argv)}` at commit `{made['commit']}` with jax "
          f"{made['jax']}, numpy {made['numpy']} ({made['device']}).\n\n{table}")


def cmd_diagnose(args) -> int:
    """``lstm97/diagnostics.py`` on the rows it looks at (exp 2c's, exp 1's probed row, a comparison row)."""
    if args.reading is not None and args.what != "states":
        raise UsageError(f"diagnose {args.what}: --reading applies to diagnose states only")
    if args.what == "gates":
        label = args.options[0] if args.options else ""
        match = [r for r in experiments.rows_of("compare") if r.label == label]
        if not match:
            raise UsageError(f"diagnose gates: no comparison row {label!r} (see results/compare/summary.csv)")
        try:
            table = diagnostics.gate_trace(match[0], *(int(a) for a in args.options[1:3]))
        except ValueError as error:
            raise UsageError(f"diagnose gates: {error}") from None
        print_made_by(args, table)
    elif args.what == "states":
        try:
            text = args.options[0] if args.options else ""
            if args.reading is None:
                _, row = search.parse_row(text, experiments.registry())
            else:
                (row,) = search.plan(text, experiments.registry(), only=args.reading).rows
            numbers = [int(a) for a in args.options[1:4]]
        except ValueError as error:                 # SearchError, ReadingError, a number that is not one
            raise UsageError(f"diagnose states: {str(error).splitlines()[0]}") from None
        if len(numbers) > 2 and not 0 <= numbers[2] < 2 ** 63:
            raise UsageError(f"diagnose states: seed must be in [0, 2^63), got {numbers[2]}")
        try:
            table = diagnostics.state_trace(row, *numbers[:2], **({"seed": numbers[2]} if len(numbers) > 2 else {}))
        except ValueError as error:
            raise UsageError(f"diagnose states: {error}") from None
        print_made_by(args, table)
    elif args.what == "exp1":
        updates = "step" if "step" in args.options else "sequence"
        (row,) = [r for r in experiments.rows_of("exp1", variants=False) if r.label == diagnostics.PROBED]
        print(diagnostics.reber_probe(row, updates, chunks=40 if updates == "sequence" else 20,
                                      full="full" in args.options))
    else:
        print(diagnostics.drift_table(tuple(r for r in experiments.rows_of("exp2") if r.run and r.task_name == "exp2c")))
    return 0


def main(argv: list[str] | None = None) -> int:
    commands = {"sample": cmd_sample, "describe": cmd_describe, "run": cmd_run, "report": cmd_report,
                "bench": cmd_bench, "readings": cmd_readings, "diagnose": cmd_diagnose}
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = build_parser(experiments.registry).parse_args(argv)
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
    except Exception as e:                     # a bug of ours: one line here, the traceback in a file
        return internal_error(e)


INTERNAL_ERROR = 70                            # EX_SOFTWARE (sysexits.h)


def internal_error(error: Exception) -> int:
    """An exception no command expects (a bug, not the user's input): one line on stderr naming it and the
    file that holds its traceback; jobs finished before it are already written, so a rerun resumes there."""
    fd, path = tempfile.mkstemp(prefix="lstm97-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    what = str(error).splitlines()[0] if str(error) else ""
    print(f"lstm97: internal error, {type(error).__name__}{': ' + what if what else ''} (traceback in {path}); "
          "finished jobs are kept, please report it", file=sys.stderr)
    return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
