"""Sketchscope's numbers: datasets, preprocessing, the CNN, training and inference.

The modules here are what the app runs; training-only code is :mod:`model.training`, which
they never import.

Nothing in this package imports Qt; it is importable and testable with no display.
TensorFlow is imported lazily, inside the functions that need it, so that
``import model`` stays cheap for the GUI's start-up.
"""
