"""One thin module per paper experiment: its rows as configs (``ROWS``), nothing else."""
