"""Converting weights to what the app runs: TensorFlow and Keras, and nothing else needs them.

    facenet_h5       the Keras 2.1 FaceNet h5 rebuilt as a Keras 3 model
    tflite_export    a Keras encoder -> LiteRT flatbuffers and a whole model folder
    mtcnn            the mtcnn package's networks -> LiteRT flatbuffers

Serving never imports this package once `flask faces setup` has run: `weights` and
`mtcnn_nets` import it lazily, only when a model is missing and has to be converted.
"""
