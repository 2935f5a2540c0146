"""The recognition core: decode -> detect -> align -> encode -> match. No Flask imports."""
import os

# TensorFlow is imported only to convert weights; its C++ INFO lines would drown the CLI.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
