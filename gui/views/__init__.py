"""The live views: the canvas, what the network sees, the probabilities and the feature maps,
and ``live``, which puts the last three side by side and shows each answer on them."""
