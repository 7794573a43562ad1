"""Test configuration: Qt runs offscreen; TensorFlow keeps quiet; data-set helpers."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as main.py does
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["KERAS_BACKEND"] = "tensorflow"  # as main.py does: the tests' Keras is TensorFlow's
