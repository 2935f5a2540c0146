"""Live at night: a camera's dark frame is denoised and stretched before its faces are found
and embedded (recognition/lowlight.py); the stream shows the camera's own frame."""
from __future__ import annotations

import numpy as np

from app.evaluation.degrade import Condition, degrade
from app.recognition.decode import decode_image
from app.stream.recognizer import LiveRecognizer
from support import GOOD, load


def test_a_dim_ir_camera_s_face_is_tracked_and_kept_from_the_lifted_frame(pipeline, lookup):
    """The good photo's face, 64 px wide, in a dim IR frame (brightest 1 % under grey level
    100): it is tracked, and the crop the track keeps (for the library, and the embedding it
    was made from) is the lifted copy's, using the whole grey range."""
    rgb = load(GOOD)
    frame = decode_image(degrade(rgb, Condition("night64", 64, night=True), 0, pipeline.detect(rgb)[0].width)[0])
    assert np.percentile(frame, 99) < 100
    recognizer = LiveRecognizer(pipeline, lookup)
    recognizer.process(frame, 0.0)
    track, = recognizer.tracker.tracks
    aligned, _ = track.face
    assert np.percentile(aligned, 99) > 200
    assert recognizer.tracks()[0]["box"] == [round(float(v)) for v in track.box]
