"""Feature-map exploration: see inside the CNN for the current drawing.

- ``gui.explore.panel.ExplorePanel``: the widget; it shows what it is given and says by its
  signals what it wants computed;
- ``gui.explore.link.ExploreLink``: connects it to the engine client and the live views;
- ``gui.explore.controls``, ``views``, ``maps``: its tool row, its widgets, and the statistics
  behind them (the colours and mosaics are ``gui.colormap``'s, shared with the live views).
"""
