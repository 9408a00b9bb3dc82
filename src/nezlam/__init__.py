"""Nezlam: run a network of invincibility points with honest, fresh status."""

__version__ = "0.1.0"
