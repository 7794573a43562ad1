"""Training-only code: data fetching, drawn-style sets, augmentation, recipes, training,
evaluation and the accuracy benchmark. The app's runtime modules never import this package."""
