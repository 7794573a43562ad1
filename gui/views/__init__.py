"""The live views: the canvas, what the network sees, the probabilities and the feature maps."""
