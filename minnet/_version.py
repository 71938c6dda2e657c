"""The version of minnet, in one place that every module can import without importing the package."""

__version__ = "0.1.0"
