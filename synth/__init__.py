"""Synthetic nights of agency extracts with their truth, and scoring against it."""

from pensionlink.synth.generate import generate_night

__all__ = ["generate_night"]
