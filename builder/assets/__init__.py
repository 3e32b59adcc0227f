"""Furniture assets: the Sweet Home 3D catalogue, parametric fallbacks, and the mesh type they share."""
