"""Feature-map exploration: see inside the CNN for the current drawing.

- ``gui.explore.panel.ExplorePanel``: the widget; it shows what it is given and says by its
  signals what it wants computed;
- ``gui.explore.link.ExploreLink``: connects it to the engine client and the live views;
- ``gui.explore.controls``, ``views``, ``maps``, ``colors``: its tool row, its widgets, and the
  numbers and colours behind them.
"""
