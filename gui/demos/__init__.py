"""The live demos: presentation mode, stroke replay and its timeline, test images, the challenge
and the gallery; ``wiring`` and ``presenting`` connect them to the canvas, the engine and the
window."""
