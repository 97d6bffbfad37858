import importlib
import tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices
import numpy as np
import keras
import tensorflow as tf
import tf_pipeline

importlib.reload(tf_pipeline)  # your latest %%writefile
keras.utils.set_random_seed(1)
X = np.random.default_rng(0).normal(size=(200, 2)).astype("float32")
Y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype("float32").reshape(-1, 1)
dataset = tf_pipeline.make_dataset(X, Y, batch_size=16, seed=1)
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
losses = tf_pipeline.train(model, dataset, epochs=60, lr=0.05)
print(f"loss: {losses[0]:.4f} at the first epoch, {losses[-1]:.4f} at the last")
path = tempfile.mkdtemp() + "/served"
tf_pipeline.export_for_serving(model, path)
served = tf.saved_model.load(path)
print("signatures:", list(served.signatures), "| served:", served.serve(X[:3]).numpy().ravel().round(3),
      "| model:", model(X[:3]).numpy().ravel().round(3))
