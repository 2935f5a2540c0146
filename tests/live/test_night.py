"""Live at night: the faces of a camera's dark frame are looked for in its denoised,
stretched copy (recognition/lowlight.py); they are embedded, and the stream drawn, from the
camera's own frame."""
from __future__ import annotations

from app.evaluation.degrade import Condition, degrade, lamp
from app.recognition.decode import decode_image
from app.recognition.lowlight import lifted
from app.stream.recognizer import LiveRecognizer
from support import SAMPLES_DIR, load


def test_a_dim_ir_face_the_frame_as_it_is_hides_is_tracked_and_embedded_from_the_frame(pipeline, lookup):
    """Sample faces 48 px wide in dim IR frames: those the live detector finds only in the
    lifted copy are tracked, and the crop a track keeps is cut from the camera's frame."""
    live = LiveRecognizer(pipeline, lookup)
    hidden = []
    for i, path in enumerate(sorted((SAMPLES_DIR / "train").glob("*/*.jpg"))):
        rgb = load(path)
        faces = pipeline.detect(rgb)
        if not faces:
            continue
        frame = decode_image(degrade(rgb, Condition("night48", 48, night=True), i, faces[0].width)[0])
        if not live.detector.detect(frame) and live.detector.detect(lifted(frame)):
            hidden.append(frame)
    assert hidden, "no sample face is hidden by the night"
    for frame in hidden:
        recognizer = LiveRecognizer(pipeline, lookup)
        recognizer.process(frame, 0.0)
        track, = recognizer.tracker.tracks
        aligned, _ = track.face
        assert (aligned == pipeline.align(frame, [live.detector.detect(lifted(frame))[0]])[0]).all()


def test_a_lamp_in_view_does_not_hide_night_faces_from_live(pipeline, lookup):
    """The same night frames with a lit lamp in a corner (1 % of the frame): Live still looks
    for their faces in the lifted copy (a lamp once made the frame count as light), so it
    tracks as many of them as without the lamp."""
    tracked = {False: 0, True: 0}
    for i, path in enumerate(sorted((SAMPLES_DIR / "train").glob("*/*.jpg"))[::3]):
        rgb = load(path)
        faces = pipeline.detect(rgb)
        if not faces:
            continue
        night = Condition("night48", 48, night=True)
        frame = decode_image(degrade(rgb, night, i, faces[0].width)[0])
        for with_lamp in (False, True):
            recognizer = LiveRecognizer(pipeline, lookup)
            recognizer.process(lamp(frame.copy(), 600) if with_lamp else frame, 0.0)
            tracked[with_lamp] += len(recognizer.tracker.tracks)
    assert tracked[False] >= 10 and tracked[True] >= tracked[False] - 1
