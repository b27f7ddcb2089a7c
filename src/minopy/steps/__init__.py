"""The nine workflow steps, one module each, in the order they run."""

STEP_NAMES: tuple[str, ...] = (
    "load_data",
    "phase_linking",
    "concatenate_patch",
    "generate_ifgram",
    "unwrap_ifgram",
    "load_ifgram",
    "ifgram_correction",
    "invert_network",
    "timeseries_correction",
)

__all__ = ["STEP_NAMES"]
