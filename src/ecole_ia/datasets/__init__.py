"""Offline datasets for the lessons and exercises: seeded generators, no network.

    from ecole_ia.datasets import load_vineyard_sensors
    releves = load_vineyard_sensors()          # 28 days x 24 hours x 4 devices
"""

from .vineyard import load_vineyard_sensors

__all__ = ["load_vineyard_sensors"]
