"""Typed configuration of the whole platform, validated when it is loaded.

One module per YAML domain (``organization``, ``accounts``, ``environment``), the types
they share (``types``), the one error type (``errors``), the platform object
(``platform``) and its loader (``loader``). Stacks read it; constructs never do.
"""

from innovate_infra.config.errors import ConfigError, ConfigIssue
from innovate_infra.config.loader import DEFAULT_CONFIG_DIR, load_platform
from innovate_infra.config.platform import PlatformConfig

__all__ = ["DEFAULT_CONFIG_DIR", "ConfigError", "ConfigIssue", "PlatformConfig", "load_platform"]
