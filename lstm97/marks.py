"""The marks a quick run's pages, tables and figures carry, and the counts they state (trials per row, caps,
test-set sizes), shared by every page (``report``, ``compare_report``, ``continual_report``)."""
from __future__ import annotations

import pandas as pd

from lstm97.paper import TEST_SET

QUICK_VERDICT = "quick run"        # a --quick run's rows: small budgets, so no verdict
QUICK_TITLE = " (quick run)"


def quick_banner(parts: list[str], tail: str = "verdicts do not apply", which: str = "") -> str:
    """The line under a quick run's title: what was shrunk (``parts``), and that it is no result."""
    return (f"> QUICK RUN{which}: " + ", ".join(parts) + (" — " if parts else "")
            + f"a smoke test of the pipeline, not a result; {tail}.")


def span(values) -> str:
    """The range of counts a page states: "2" for one value, "1–2" for several."""
    values = sorted({int(v) for v in values})
    return f"{values[0]:,}" if len(values) == 1 else f"{values[0]:,}–{values[-1]:,}"


def quick_parts(summary: pd.DataFrame, test_sequences: list[int] | None) -> list[str]:
    """Trials per row, caps and test-set sizes that a quick run's summary actually used."""
    ran = summary[summary["trials"] > 0]
    built = ran if len(ran) else summary[summary["cell"] != "not run"] if "cell" in summary else ran
    trials = span(ran["trials"]) if len(ran) else ""
    parts = [f"{trials} trial{'' if trials == '1' else 's'} per row"] if trials else []
    if "cap" in built and len(built):
        parts.append(f"cap {span(built['cap'])} sequences")
    if test_sequences:
        parts.append(f"{sizes_text(test_sequences)} test sequences")
    return parts


def sizes_text(sizes: list[int] | None) -> str:
    return " or ".join(f"{s:,}" for s in sorted(sizes or [TEST_SET]))
