import os

# Two CPU devices for the sharding tests, added to any XLA_FLAGS the shell already exports (a training run's
# thread flags, say), which would otherwise leave one device and fail those tests.
_flags = os.environ.get("XLA_FLAGS", "")
if "xla_force_host_platform_device_count" not in _flags:
    os.environ["XLA_FLAGS"] = ("--xla_force_host_platform_device_count=2 " + _flags).strip()

import jax  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")
