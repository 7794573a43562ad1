"""Training-only code: data fetching, drawn-style sets, augmentation, the typed recipes,
distillation, training, evaluation, the accuracy benchmark and their commands. The app's
runtime modules never import this package."""
