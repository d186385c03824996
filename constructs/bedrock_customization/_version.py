"""The library's version, read by packaging (pyproject.toml) and reported as ``bedrock_customization.__version__``."""

__version__ = "0.2.0"
