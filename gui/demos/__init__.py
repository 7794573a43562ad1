"""The live demos: presentation mode, stroke replay and its timeline, test images, the challenge
and the gallery."""
