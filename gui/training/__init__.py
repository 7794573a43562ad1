"""Train Live (Model > Train Live…): watch the seed network learn, inside the app.

- ``gui.training.client.TrainerClient``: the trainer process (``model.training.live``), its
  commands and a reader thread that turns its events into signals;
- ``gui.training.panel.TrainingPanel``: the dock's controls, curves, kernels and the drawing's
  answer under the weights in training;
- ``gui.training.models.LiveModels``: which model the app's live view reads per dataset (the
  shipped one, the user's own, or the network in training) and what QSettings remembers of it;
- ``gui.training.remote.RemoteCNN``: the network in training as the engine's CNN;
- ``gui.training.stage.TrainingStage``: the training in large type, for presentation mode;
- ``gui.training.run.RunController``: a run's wiring (panel, trainer, live view, saving),
  made the first time the dock is shown;
- ``gui.training.feature.TrainingFeature``: what the main window makes: the menu actions, the
  dock, the live models; cheap at start-up (no panel, no multiprocessing until needed).
"""
