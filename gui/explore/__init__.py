"""Feature-map exploration: see inside the CNN for the current drawing.

- :class:`ExplorePanel` (``gui.explore.panel``): the widget. ``set_model(path, dataset)``,
  ``set_image(image28)``; signals ``sig_receptive_field``, ``sig_saliency_changed``,
  ``sig_ablation_changed``, ``sig_result_shown``.
- :class:`ExploreClient` (``gui.explore.worker``): the two worker threads that do the
  TensorFlow work (maps, ablation, saliency, top examples); the panel makes its own.
- ``gui.devtools.explore_bench.bench_explore()``: hover, ablation and saliency timings.

The numbers themselves come from ``model.explain``, which has no Qt.

Import from the modules themselves: this package imports nothing, so that ``gui.colormap``
can use ``gui.explore.colors`` without pulling in the panel (and ``gui.worker``) in a cycle.
"""
