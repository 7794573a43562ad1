"""Sketchscope's pixels and events: the canvas, the views of the network, the main window.

Models are loaded and run only in worker threads (``gui.scheduler``, fed by
``gui.engine_client``); importing ``gui`` never imports TensorFlow, Keras or SciPy, so the
window is up before they are.
"""
