"""Ligand and conjugate candidate scoring (issue 4)."""
