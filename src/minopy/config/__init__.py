"""Templates: parsing, the documented option schema and validation."""

from minopy.config.schema import Option, closest_key, load_schema
from minopy.config.template import Config, build_config, load_config, read_template

__all__ = ["Config", "Option", "build_config", "closest_key", "load_config", "load_schema",
           "read_template"]
