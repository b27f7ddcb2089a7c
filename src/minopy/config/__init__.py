"""Templates: parsing, the documented option schema, validation and the typed configuration."""

from minopy.config.model import Config, MintpyOptions
from minopy.config.schema import Option, closest_key, load_schema, option_key
from minopy.config.template import build_config, load_config, read_template

__all__ = ["Config", "MintpyOptions", "Option", "build_config", "closest_key", "load_config",
           "load_schema", "option_key", "read_template"]
