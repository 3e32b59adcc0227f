"""Headless rasteriser (moderngl on EGL) producing RGB, instance ids and z-depth in one pass.

Public entry points: renderer.Renderer / Drawable / RenderedFrame, scene.build_drawables /
object_model_matrix, textures (procedural surfaces), context.create_context. Nothing here
touches OpenGL at import time.
"""
